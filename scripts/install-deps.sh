#!/usr/bin/env bash
# Installs everything cairn needs to build and to run its test suite on
# Debian 12, with apt. Idempotent: does nothing when all packages are there.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config
  libarchive-dev zlib1g-dev libzstd-dev libisal-dev libssl-dev libsqlite3-dev libcurl4-openssl-dev
  nlohmann-json3-dev libcli11-dev googletest libgtest-dev ca-certificates
  # the format check (scripts/check-format.sh)
  clang-format
  # tests and benchmarks: reference unpacker, a real registry, tar tools, fsck.erofs,
  # openssl for the registry token server
  umoci docker-registry apache2-utils skopeo python3 tar gzip zstd attr docker.io podman
  curl openssl erofs-utils
  # cairn run (OCI runtime), enroot-format squashfs export and its checks
  crun squashfs-tools squashfuse busybox-static
  # copy-on-write backends: btrfs tools, ZFS in user space (zfs-fuse)
  btrfs-progs zfs-fuse
  # fuzzing (scripts/fuzz.sh): clang with libFuzzer and the sanitizer runtimes
  clang-19 libclang-rt-19-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
