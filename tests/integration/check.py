#!/usr/bin/env python3
"""JSON helpers for the integration scripts (run.sh, shared-fixtures.sh).

  check.py import-result OUTFILE      -> "ID INGESTED REUSED" from `cairn --json import` output
                                         (a JSON object; else the last line's first word, -1 -1)
  check.py inspect OUTFILE ID DIFFIDS -> verify `cairn inspect` output against the expected
                                         image ID and diff_ids (JSON list or "-"), and the OCI
                                         ChainID rule; prints what is wrong, exit 1
  check.py images OUTFILE             -> canonical form of `cairn images --json` (for snapshots)
  check.py image-ids OUTFILE          -> the image IDs of `cairn images --json`, one per line
  check.py names OUTFILE ID           -> the names of image ID in `cairn images --json`
  check.py desc IMAGES.JSON KIND      -> tab-separated rows of make-images.py's images.json:
                                         good: NAME LAYERS UMOCI ID DIFFIDS-JSON SOURCE...
                                         bad / evil: NAME SOURCE [UMOCI]
"""

import hashlib
import json
import re
import sys

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def import_result(path):
    text = open(path, encoding="utf-8").read().strip()
    try:
        obj = json.loads(text)
    except ValueError:
        obj = None
    if not isinstance(obj, dict):
        last = text.splitlines()[-1].strip() if text else ""
        return "%s -1 -1" % (last.split()[0] if last else "-")

    def count(key):
        value = obj.get(key)
        return value if isinstance(value, int) else -1
    return "%s %d %d" % (obj.get("id") or "-", count("layers_ingested"), count("layers_reused"))


def chain_ids(diff_ids):
    out = []
    for d in diff_ids:
        out.append(d if not out else "sha256:" + hashlib.sha256((out[-1] + " " + d).encode()).hexdigest())
    return out


def inspect_problems(obj, image_id, diff_ids):
    problems = []
    if obj.get("id") != image_id:
        problems.append("id %r != %r" % (obj.get("id"), image_id))
    layers = obj.get("layers")
    if not isinstance(layers, list) or not layers:
        return problems + ["no layers array"]
    seen_diffs = [l.get("diff_id") for l in layers]
    if diff_ids is not None and seen_diffs != diff_ids:
        problems.append("diff_ids %r != expected %r" % (seen_diffs, diff_ids))
    expected_chain = chain_ids(seen_diffs)
    for i, layer in enumerate(layers):
        for key in ("diff_id", "chain_id", "blob_digest"):
            if not DIGEST.match(str(layer.get(key, ""))):
                problems.append("layer %d: bad %s %r" % (i, key, layer.get(key)))
        if layer.get("index") != i:
            problems.append("layer %d: index %r" % (i, layer.get("index")))
        if layer.get("chain_id") != expected_chain[i]:
            problems.append("layer %d: chain_id %r, ChainID rule gives %r" % (i, layer.get("chain_id"), expected_chain[i]))
    if obj.get("top_chain") != expected_chain[-1]:
        problems.append("top_chain %r != %r" % (obj.get("top_chain"), expected_chain[-1]))
    if "manifest_digest" in obj and not DIGEST.match(str(obj["manifest_digest"])):
        problems.append("bad manifest_digest %r" % obj["manifest_digest"])
    return problems


def desc_rows(images_json, kind):
    d = load(images_json)
    for e in d[kind]:
        if kind == "good":
            row = [e["name"], str(e["layers"]), e["umoci"], e["id"], json.dumps(e["diff_ids"], separators=(",", ":"))]
            row += e["sources"]
        else:
            row = [e["name"], e["source"]] + ([e["umoci"]] if "umoci" in e else [])
        print("\t".join(row))


def main():
    try:
        return run(sys.argv[1], sys.argv[2:])
    except (ValueError, OSError, KeyError, TypeError, AttributeError, IndexError) as e:
        print("check.py %s: %s: %s" % (sys.argv[1], type(e).__name__, e), file=sys.stderr)
        return 1


def run(cmd, args):
    if cmd == "import-result":
        print(import_result(args[0]))
    elif cmd == "inspect":
        try:
            obj = load(args[0])
        except ValueError as e:
            print("inspect output is not JSON: %s" % e)
            return 1
        if not isinstance(obj, dict):
            print("inspect output is not a JSON object")
            return 1
        problems = inspect_problems(obj, args[1], None if args[2] == "-" else json.loads(args[2]))
        for p in problems:
            print(p)
        return 1 if problems else 0
    elif cmd == "images":
        print(json.dumps(sorted(load(args[0]), key=lambda i: i.get("id", "")), sort_keys=True))
    elif cmd == "image-ids":
        for image in load(args[0]):
            print(image.get("id"))
    elif cmd == "names":
        for image in load(args[0]):
            if image.get("id") == args[1]:
                print("\n".join(image.get("names") or []))
    elif cmd == "desc":
        desc_rows(args[0], args[1])
    else:
        print("unknown command " + cmd, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
