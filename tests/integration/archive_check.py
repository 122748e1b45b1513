#!/usr/bin/env python3
"""Checks an image archive cairn exported against the image it came from (stdlib only).

usage: archive_check.py oci|docker ARCHIVE SOURCE_CONFIG_DIGEST SOURCE_DIFF_IDS_JSON_FILE

Prints one line per problem and exits 1 if there is any: the config blob must hash to the source's
config digest (the image id), its rootfs.diff_ids must be the source's, and every layer blob must
decompress (gzip, zstd or plain) to a tar whose sha256 is that layer's diff_id. For oci, every
blob's name must be its sha256 and the manifest the index names must list the config.
"""
import gzip
import hashlib
import json
import subprocess
import sys
import tarfile


def uncompressed(data):
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:4] == b"\x28\xb5\x2f\xfd":
        return subprocess.run(["zstd", "-dc"], input=data, stdout=subprocess.PIPE, check=True).stdout
    return data


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def main():
    form, archive, config_digest, diff_ids_file = sys.argv[1:5]
    want_diff_ids = json.load(open(diff_ids_file))
    problems = []
    with tarfile.open(archive) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    if form == "oci":
        for name, data in files.items():
            if name.startswith("blobs/sha256/") and sha(data)[7:] != name[13:]:
                problems.append(f"{name}: content hashes to {sha(data)}")
        index = json.loads(files["index.json"])
        manifest = json.loads(files["blobs/sha256/" + index["manifests"][0]["digest"][7:]])
        config_name = "blobs/sha256/" + manifest["config"]["digest"][7:]
        layer_names = ["blobs/sha256/" + l["digest"][7:] for l in manifest["layers"]]
    else:
        manifest = json.loads(files["manifest.json"])[0]
        config_name, layer_names = manifest["Config"], manifest["Layers"]
    config = files[config_name]
    if sha(config) != config_digest:
        problems.append(f"config hashes to {sha(config)}, the source's is {config_digest}")
    diff_ids = json.loads(config)["rootfs"]["diff_ids"]
    if diff_ids != want_diff_ids:
        problems.append(f"config diff_ids {diff_ids} != source {want_diff_ids}")
    if len(layer_names) != len(want_diff_ids):
        problems.append(f"{len(layer_names)} layers, the source has {len(want_diff_ids)}")
    for name, diff_id in zip(layer_names, want_diff_ids):
        got = sha(uncompressed(files[name]))
        if got != diff_id:
            problems.append(f"{name}: uncompressed tar hashes to {got}, diff_id is {diff_id}")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
