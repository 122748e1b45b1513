#!/usr/bin/env python3
"""Canonical listing of a directory tree, for comparing root filesystems.

usage: tree-listing.py ROOT [--no-mtime] [--mtime-seconds] [--no-hash] [--skip PATH]...

One line per entry below ROOT (ROOT itself is not listed), sorted by the raw bytes of
the path, fields separated by single spaces:

  /path  kind  mode  uid:gid  [size=N]  [mtime=S.NNNNNNNNN]  [rdev=MAJ:MIN]  [target=...]
         [sha256=HEX]  [hardlink=FIRST-PATH]  [xattr.NAME=HEX]...

  kind     file dir symlink char block fifo socket
  mode     permission bits incl. setuid/setgid/sticky, 4 octal digits
  size     regular files only; sha256 is their full content digest (holes read as zeros)
  mtime    not for directories (their mtime changes as entries are added below them)
  target   symlink target
  hardlink for a non-directory whose inode appears under more than one path in the tree:
           the first of those paths (by the sort order), on every member of the group
  xattr    sorted by name; values hex; security.selinux, trusted.overlay.* and
           user.overlay.* are ignored (set by the host, not by the image)

Paths and targets escape bytes outside printable ASCII, space and backslash as \\xNN.
--skip PATH leaves out PATH and everything below it (PATH as listed, e.g. /usr).
"""

import argparse
import hashlib
import os
import stat
import sys

IGNORED_XATTR_PREFIXES = (b"security.selinux", b"trusted.overlay.", b"user.overlay.")
KINDS = [(stat.S_ISREG, "file"), (stat.S_ISDIR, "dir"), (stat.S_ISLNK, "symlink"), (stat.S_ISCHR, "char"),
         (stat.S_ISBLK, "block"), (stat.S_ISFIFO, "fifo"), (stat.S_ISSOCK, "socket")]


def escape(raw):
    out = []
    for b in raw:
        if b <= 0x20 or b >= 0x7F or b == 0x5C:
            out.append("\\x%02x" % b)
        else:
            out.append(chr(b))
    return "".join(out)


def kind_of(mode):
    for test, name in KINDS:
        if test(mode):
            return name
    return "unknown"


def file_digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                return h.hexdigest()
            h.update(chunk)


def xattrs(path):
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return []
    out = []
    for name in sorted(n.encode("utf-8", "surrogateescape") for n in names):
        if name.startswith(IGNORED_XATTR_PREFIXES):
            continue
        try:
            value = os.getxattr(path, name, follow_symlinks=False)
        except OSError:
            continue
        out.append("xattr.%s=%s" % (escape(name), value.hex()))
    return out


def walk(root, skips):
    """Yield (relative path bytes, absolute path bytes, lstat) for every entry below root."""
    stack = [b""]
    while stack:
        rel_dir = stack.pop()
        with os.scandir(root + rel_dir if rel_dir else root) as it:
            for entry in it:
                rel = rel_dir + b"/" + entry.name
                if rel in skips:
                    continue
                st = entry.stat(follow_symlinks=False)
                yield rel, root + rel, st
                if stat.S_ISDIR(st.st_mode):
                    stack.append(rel)


def mtime_field(st, seconds_only):
    if seconds_only:
        return "mtime=%d" % (st.st_mtime_ns // 1_000_000_000)
    return "mtime=%d.%09d" % divmod(st.st_mtime_ns, 1_000_000_000)


def entry_line(rel, path, st, opts, groups):
    fields = [escape(rel), kind_of(st.st_mode), "%04o" % stat.S_IMODE(st.st_mode), "%d:%d" % (st.st_uid, st.st_gid)]
    if stat.S_ISREG(st.st_mode):
        fields.append("size=%d" % st.st_size)
    if not stat.S_ISDIR(st.st_mode) and not opts.no_mtime:
        fields.append(mtime_field(st, opts.mtime_seconds))
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        fields.append("rdev=%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)))
    if stat.S_ISLNK(st.st_mode):
        fields.append("target=" + escape(os.readlink(path)))
    if stat.S_ISREG(st.st_mode) and not opts.no_hash:
        fields.append("sha256=" + file_digest(path))
    group = groups.get((st.st_dev, st.st_ino))
    if group and len(group) > 1:
        fields.append("hardlink=" + escape(group[0]))
    return " ".join(fields + xattrs(path))


def main():
    ap = argparse.ArgumentParser(description="canonical listing of a tree")
    ap.add_argument("root")
    ap.add_argument("--no-mtime", action="store_true")
    ap.add_argument("--mtime-seconds", action="store_true", help="whole seconds only")
    ap.add_argument("--no-hash", action="store_true")
    ap.add_argument("--skip", action="append", default=[])
    opts = ap.parse_args()
    root = os.fsencode(opts.root.rstrip("/") or "/")
    skips = {os.fsencode("/" + s.strip("/")) for s in opts.skip}
    entries = sorted(walk(root, skips), key=lambda e: e[0])
    groups = {}
    for rel, _, st in entries:
        if not stat.S_ISDIR(st.st_mode):
            groups.setdefault((st.st_dev, st.st_ino), []).append(rel)
    out = sys.stdout.buffer
    for rel, path, st in entries:
        out.write(entry_line(rel, path, st, opts, groups).encode() + b"\n")


if __name__ == "__main__":
    main()
