#!/usr/bin/env python3
"""Writes the composefs dump (erofs/dump_reader.h) of a directory tree on disk.

usage: tree-dump.py ROOT [--root-mtime SECONDS] > tree.dump

The dump describes the tree as composefs images hold it, so that
`cairn mkcomposefs --from-dump tree.dump --print-digest` (the mkcomposefs-identical writer)
prints the composefs digest of that tree, computed without cairn's import or merge:
  - regular files of more than 64 bytes are backed by an object named by their fs-verity
    digest (SHA-256, 4096-byte blocks, no salt), smaller non-empty ones are inline;
  - hard links within the tree are '@' lines naming the first of their paths in a depth-first
    walk with names sorted bytewise (the primary: where the writer puts the inode);
  - every xattr is kept but security.selinux and system.nfs4_acl, which belong to the host.
Every byte outside 0x21..0x7e, and '\\' and '=', is written \\xHH.
--root-mtime sets the root's mtime: a tree unpacked on disk has its root's mtime from when it was
made where no layer has an entry for the root, and a composefs image has 0 there.
"""

import hashlib
import os
import stat
import struct
import sys

BLOCK = 4096
INLINE_LIMIT = 64
HOST_XATTRS = {"security.selinux", "system.nfs4_acl"}


def escape(data):
    if isinstance(data, str):
        data = os.fsencode(data)
    out = []
    for b in data:
        if 0x21 <= b <= 0x7E and b not in (0x5C, 0x3D):
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    return "".join(out) if out else "-"


def fsverity_digest(path):
    """fs-verity SHA-256 digest of a file's content (erofs/fsverity.h)."""
    size = os.path.getsize(path)
    level = []
    with open(path, "rb") as f:
        while True:
            block = f.read(BLOCK)
            if not block:
                break
            level.append(hashlib.sha256(block.ljust(BLOCK, b"\0")).digest())
    if not level:
        root = b"\0" * 32
    else:
        while len(level) > 1:
            data = b"".join(level)
            level = [hashlib.sha256(data[i:i + BLOCK].ljust(BLOCK, b"\0")).digest()
                     for i in range(0, len(data), BLOCK)]
        root = level[0]
    descriptor = struct.pack("<BBBBI Q", 1, 1, 12, 0, 0, size) + root.ljust(64, b"\0")
    descriptor += b"\0" * 32 + b"\0" * 144
    return hashlib.sha256(descriptor).hexdigest()


def xattrs(path):
    out = []
    for name in sorted(os.listxattr(path, follow_symlinks=False)):
        if name in HOST_XATTRS:
            continue
        value = os.getxattr(path, name, follow_symlinks=False)
        out.append(escape(name) + "=" + (escape(value) if value else ""))
    return out


def line(root, rel, first_link):
    path = os.path.join(root, rel) if rel else root
    st = os.lstat(path)
    name = "/" + rel
    key = (st.st_dev, st.st_ino)
    if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1:
        if key in first_link:
            return " ".join([escape(name), "0", "@%o" % st.st_mode, "0", "0", "0", "0", "0.0",
                             escape(first_link[key]), "-", "-"])
        first_link[key] = name
    size, payload, content, digest = st.st_size, "-", "-", "-"
    if stat.S_ISLNK(st.st_mode):
        payload = escape(os.readlink(path))
    elif stat.S_ISREG(st.st_mode) and st.st_size > INLINE_LIMIT:
        digest = fsverity_digest(path)
        payload = digest[:2] + "/" + digest[2:]
    elif stat.S_ISREG(st.st_mode) and st.st_size > 0:
        with open(path, "rb") as f:
            content = escape(f.read())
    elif stat.S_ISDIR(st.st_mode):
        size = 0
    rdev = st.st_rdev if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else 0
    fields = [escape(name) if rel else "/", str(size), "%o" % st.st_mode, str(st.st_nlink),
              str(st.st_uid), str(st.st_gid), str(rdev),
              "%d.%d" % (st.st_mtime_ns // 10**9, st.st_mtime_ns % 10**9), payload, content,
              digest]
    return " ".join(fields + xattrs(path))


def walk(root, rel, first_link, out):
    """Depth-first, names sorted bytewise: the order that picks hard-link primaries."""
    out.append(line(root, rel, first_link))
    path = os.path.join(root, rel) if rel else root
    if rel and (os.path.islink(path) or not os.path.isdir(path)):
        return
    for name in sorted(os.listdir(os.fsencode(path))):
        walk(root, os.path.join(rel, os.fsdecode(name)), first_link, out)


def main():
    args = sys.argv[1:]
    root_mtime = None
    if len(args) == 3 and args[1] == "--root-mtime":
        root_mtime = args[2]
        args = args[:1]
    if len(args) != 1:
        sys.exit(__doc__)
    out = []
    walk(args[0], "", {}, out)
    if root_mtime is not None:
        fields = out[0].split(" ")
        fields[7] = "%d.0" % int(root_mtime)
        out[0] = " ".join(fields)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
