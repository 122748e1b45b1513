#!/usr/bin/env python3
"""Generate the "seed" image set of containers/storage#2018 as an OCI layout.

usage: gen-seed-images.py OUT_LAYOUT N [BASE_LAYOUT]

N app images (tags app-000 .. app-N-1) share one base layer; each adds 1 or 2
small layers of its own (a few files each, distinct content, so every app
layer has its own diff_id). The base is the image tagged `base` in
BASE_LAYOUT (its layer blob is hard-linked, or copied, into OUT_LAYOUT), or,
without BASE_LAYOUT, a synthetic layer of a few thousand files. A `base` tag
for the base alone is written too. Output is deterministic (fixed mtimes,
gzip without timestamps).
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile

MTIME = 1700000000


def sha(data):
    return hashlib.sha256(data).hexdigest()


class Layout:
    def __init__(self, root):
        self.root = root
        self.blobs = os.path.join(root, "blobs", "sha256")
        os.makedirs(self.blobs, exist_ok=True)
        with open(os.path.join(root, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)
        self.manifests = []

    def put(self, data):
        digest = sha(data)
        path = os.path.join(self.blobs, digest)
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(data)
        return "sha256:" + digest, len(data)

    def adopt(self, src_path, digest):
        dst = os.path.join(self.blobs, digest.split(":", 1)[1])
        if not os.path.exists(dst):
            try:
                os.link(src_path, dst)
            except OSError:
                shutil.copyfile(src_path, dst)
        return os.path.getsize(dst)

    def image(self, tag, layers, diff_ids):
        """layers: [(digest, size, media_type)], diff_ids: ["sha256:..."]"""
        config = {
            "architecture": "amd64", "os": "linux",
            "config": {"Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }
        cdig, csize = self.put(json.dumps(config, sort_keys=True).encode())
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": cdig, "size": csize},
            "layers": [{"mediaType": m, "digest": d, "size": s} for d, s, m in layers],
        }
        mdig, msize = self.put(json.dumps(manifest, sort_keys=True).encode())
        self.manifests.append({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": mdig, "size": msize,
            "annotations": {"org.opencontainers.image.ref.name": tag},
        })

    def close(self):
        index = {"schemaVersion": 2, "manifests": self.manifests}
        with open(os.path.join(self.root, "index.json"), "w") as f:
            json.dump(index, f)


def make_tar(entries):
    """entries: [(path, bytes or None for a directory, mode)] -> (gzip blob, diff_id)"""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, data, mode in entries:
            info = tarfile.TarInfo(path)
            info.mtime = MTIME
            info.mode = mode
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    plain = raw.getvalue()
    return gzip.compress(plain, compresslevel=6, mtime=0), "sha256:" + sha(plain)


def synthetic_base():
    entries = [(d, None, 0o755) for d in ("etc", "usr", "usr/lib", "usr/share", "usr/bin")]
    for d in range(60):
        top = "usr/lib/pkg%02d" % d
        entries.append((top, None, 0o755))
        for i in range(50):
            size = 40 + ((d * 50 + i) * 997) % 12000
            body = (("pkg%02d file%03d " % (d, i)) * (size // 16 + 1)).encode()[:size]
            entries.append(("%s/f%03d" % (top, i), body, 0o644))
    for i in range(200):
        entries.append(("usr/bin/tool%03d" % i, b"#!/bin/sh\necho tool %d\n" % i * 20, 0o755))
        entries.append(("etc/conf%03d" % i, b"key=%d\n" % i, 0o644))
    return entries


def base_layer(layout, base_layout):
    gz = "application/vnd.oci.image.layer.v1.tar+gzip"
    if base_layout:
        with open(os.path.join(base_layout, "index.json")) as f:
            index = json.load(f)
        blob = lambda d: os.path.join(base_layout, "blobs", "sha256", d.split(":", 1)[1])
        for m in index["manifests"]:
            if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "base":
                with open(blob(m["digest"])) as f:
                    manifest = json.load(f)
                with open(blob(manifest["config"]["digest"])) as f:
                    diff_ids = json.load(f)["rootfs"]["diff_ids"]
                layers = []
                for layer in manifest["layers"]:
                    size = layout.adopt(blob(layer["digest"]), layer["digest"])
                    layers.append((layer["digest"], size, layer["mediaType"]))
                return layers, diff_ids
        sys.exit("no image tagged base in " + base_layout)
    data, diff_id = make_tar(synthetic_base())
    digest, size = layout.put(data)
    return [(digest, size, gz)], [diff_id]


def app_layers(layout, n):
    gz = "application/vnd.oci.image.layer.v1.tar+gzip"
    layers, diff_ids = [], []
    for k in range(1 + n % 2):
        app = "opt/app%03d" % n
        entries = [("opt", None, 0o755), (app, None, 0o755)] if k == 0 else []
        entries += [
            ("%s/run-%d.sh" % (app, k), b"#!/bin/sh\nexec /opt/app%03d/bin %d\n" % (n, k) * 4, 0o755),
            ("%s/config-%d.json" % (app, k), json.dumps({"app": n, "layer": k, "workers": n % 7 + 1}).encode() * 3, 0o644),
            ("%s/data-%d.bin" % (app, k), hashlib.sha256(b"%d/%d" % (n, k)).digest() * (64 + n % 50), 0o644),
            ("%s/VERSION-%d" % (app, k), b"1.%d.%d\n" % (n, k), 0o644),
        ]
        data, diff_id = make_tar(entries)
        digest, size = layout.put(data)
        layers.append((digest, size, gz))
        diff_ids.append(diff_id)
    return layers, diff_ids


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: gen-seed-images.py OUT_LAYOUT N [BASE_LAYOUT]")
    out, n = sys.argv[1], int(sys.argv[2])
    layout = Layout(out)
    blayers, bdiffs = base_layer(layout, sys.argv[3] if len(sys.argv) == 4 else None)
    layout.image("base", blayers, bdiffs)
    for i in range(n):
        alayers, adiffs = app_layers(layout, i)
        layout.image("app-%03d" % i, blayers + alayers, bdiffs + adiffs)
    layout.close()


if __name__ == "__main__":
    main()
