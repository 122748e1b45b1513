#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a working cairn: installs the
# dependencies, builds, and runs the main job: builds a small demo image
# (an OCI layout made by tests/fixtures/make-images.py), imports it into a
# store and prints the mounted root filesystem. Run as root.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/install-deps.sh"
"$repo/scripts/build.sh"
# the binary, its man pages and bash/zsh completion under /usr/local
cmake --install "$repo/build" >/dev/null

cairn="$repo/build/cairn"
demo=$(mktemp -d /var/tmp/cairn-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
python3 "$repo/tests/fixtures/make-images.py" "$demo/images" >/dev/null
export CAIRN_ROOT=${CAIRN_ROOT:-/var/lib/cairn}

echo "== cairn import oci:$demo/images/oci:torture"
"$cairn" import "oci:$demo/images/oci:torture" --name demo/torture
"$cairn" images
rootfs=$("$cairn" mount demo/torture | tail -n1)
echo "== cairn mount demo/torture -> $rootfs"
ls -la "$rootfs"
echo "== cairn info"
"$cairn" info
