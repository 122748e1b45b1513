#!/bin/bash
# Resource bounds on every backend: peak RSS and time of importing one layer of many tiny files
# (default 1,000,000 entries), and time of importing a layer holding one 1 TiB sparse file.
#
# usage: bench/limits.sh CAIRN_BINARY        (root)
#   ENTRIES    entries in the many-files layer (default 1000000: 1,000 directories of 999 files
#              of 8 bytes each, in one uncompressed tar)
#   BACKENDS   default "dir composefs btrfs zfs"
#   FS_SIZE    sparse file size under the loop btrfs and the zfs-fuse pool (default 16G)
#   BENCH_TMP  scratch directory (default $CAIRN_E2E/tmp)
#
# Each import is one run into an empty store, `sync` before it; peak RSS is GNU time's maximum
# resident set size of the cairn process. A backend that fails says so in its row.
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"

need_cairn "${1:-${CAIRN:-}}" "bench/limits.sh CAIRN_BINARY"
ENTRIES=${ENTRIES:-1000000}
BACKENDS=${BACKENDS:-dir composefs btrfs zfs}
FS_SIZE=${FS_SIZE:-16G}
bench_init limits
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (package time)" >&2; exit 2; }

"$PY" - "$(dirname "$(readlink -f "$0")")/../tests/fixtures" "$WORK/images" "$ENTRIES" <<'PYEOF'
import hashlib, io, json, os, sys, tarfile
sys.path.insert(0, sys.argv[1])
import imagekit as ik
out, entries = sys.argv[2], int(sys.argv[3])
os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
# the many-files layer is streamed to disk (an in-memory tar of 1M entries would not fit the budget)
tmp = os.path.join(out, "many.tar")
with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as t:
    per_dir, n, d = 999, 0, 0
    while n < entries:
        info = tarfile.TarInfo("d%04d" % d); info.type = tarfile.DIRTYPE; info.mode = 0o755
        t.addfile(info); n += 1
        for i in range(min(per_dir, entries - n)):
            data = b"%07d\n" % n
            info = tarfile.TarInfo("d%04d/f%03d" % (d, i)); info.size = len(data); info.mtime = 1700000000
            t.addfile(info, io.BytesIO(data)); n += 1
        d += 1
h = hashlib.sha256()
with open(tmp, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
digest = h.hexdigest()
os.rename(tmp, os.path.join(out, "blobs", "sha256", digest))
size = os.path.getsize(os.path.join(out, "blobs", "sha256", digest))
config = ik.canonical_json({"architecture": "amd64", "os": "linux", "config": {},
                            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + digest]}})
manifest = ik.canonical_json({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": ik.MT_OCI_CONFIG, "digest": ik.sha256(config), "size": len(config)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + digest, "size": size}]})
for blob in (config, manifest):
    open(os.path.join(out, "blobs", "sha256", ik.sha256(blob).split(":")[1]), "wb").write(blob)
sparse = ik.Layer()
sparse.sparse_pax("tib", 1 << 40, [(0, b"start"), ((1 << 40) - 4, b"end\n")])
sparse_image = ik.Image("sparse", [(sparse, "gzip")])
for d, blob in sparse_image.blob_map().items():
    open(os.path.join(out, "blobs", "sha256", d.split(":")[1]), "wb").write(blob)
index = {"schemaVersion": 2, "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ik.sha256(manifest),
     "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "many"}},
    sparse_image.descriptor("sparse")]}
open(os.path.join(out, "index.json"), "w").write(json.dumps(index))
open(os.path.join(out, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
PYEOF
MANY_BYTES=$(du -b "$WORK/images/blobs/sha256" | cut -f1)

# timed_import BACKEND ROOT IMAGE: "seconds peak-KB" or "failed"
timed_import() {
  sync
  if /usr/bin/time -f "%e %M" -o "$WORK/time" "$CAIRN" --root "$2" --backend "$1" import \
      "oci:$WORK/images:$3" >"$WORK/out" 2>"$WORK/err"; then
    cat "$WORK/time"
  else
    echo "failed: $(grep -m1 'error' "$WORK/err" | cut -c1-120)"
  fi
}

echo "$(machine_line)"
echo
echo "| backend | ${ENTRIES} entries: s | peak RSS | 1 TiB sparse file: s |"
echo "|---|---:|---:|---:|"
for b in $BACKENDS; do
  case $b in
    dir|composefs) root=$WORK/store-$b ;;
    btrfs) if setup_btrfs "$FS_SIZE"; then root=$BTRFS_MNT/store; else echo "| btrfs | n/a (no btrfs) | | |"; continue; fi ;;
    zfs) if setup_zfs "$FS_SIZE"; then root=$ZFS_ROOT; else echo "| zfs | n/a (no zfs-fuse) | | |"; continue; fi ;;
  esac
  read -r secs kb rest < <(timed_import "$b" "$root" many)
  if [ "$secs" = failed: ]; then many="failed: $kb $rest"; rss=""; else many=$secs; rss="$((kb / 1024)) MiB"; fi
  "$CAIRN" --root "$root" --backend "$b" rmi many >/dev/null 2>&1 || true
  "$CAIRN" --root "$root" --backend "$b" gc >/dev/null 2>&1 || true
  read -r ssecs _ srest < <(timed_import "$b" "$root" sparse)
  [ "$ssecs" = failed: ] && ssecs="failed: $srest"
  echo "| $b | $many | $rss | $ssecs |"
  "$CAIRN" --root "$root" --backend "$b" rmi sparse >/dev/null 2>&1 || true
  "$CAIRN" --root "$root" --backend "$b" gc >/dev/null 2>&1 || true
done
echo
echo "many-files layer: $(human "$MANY_BYTES") of uncompressed tar."
