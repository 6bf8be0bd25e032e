"""Detect network filesystems, where SQLite's WAL shared memory is unsafe."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["NETWORK_FS_TYPES", "filesystem_type", "is_network_filesystem"]

NETWORK_FS_TYPES = frozenset(
    {"nfs", "nfs4", "cifs", "smb", "smb2", "smbfs", "lustre", "gpfs", "fuse.sshfs",
     "afs", "ceph", "fuse.ceph", "9p", "beegfs", "glusterfs", "fuse.glusterfs", "panfs"}
)


def filesystem_type(path: Path, mounts_file: str = "/proc/mounts") -> str | None:
    """Return the type of the filesystem holding ``path`` (Linux), or None if unknown."""
    try:
        with open(mounts_file, encoding="utf-8", errors="replace") as handle:
            mounts = [line.split() for line in handle]
    except OSError:
        return None
    target = os.path.realpath(path)
    best: tuple[int, str] | None = None
    for fields in mounts:
        if len(fields) < 3:
            continue
        mount_point = fields[1].replace("\\040", " ")
        prefix = mount_point.rstrip("/") + "/"
        if (target == mount_point or target.startswith(prefix) or mount_point == "/") and (
            best is None or len(mount_point) > best[0]
        ):
            best = (len(mount_point), fields[2])
    return None if best is None else best[1]


def is_network_filesystem(path: Path) -> bool:
    """True when ``path`` lives on NFS, Lustre, SMB or another shared filesystem.

    Set ``NBVIZ_FORCE_JOURNAL=1`` to treat every filesystem as networked.
    """
    if os.environ.get("NBVIZ_FORCE_JOURNAL") == "1":
        return True
    fs_type = filesystem_type(path)
    return fs_type is not None and fs_type.lower() in NETWORK_FS_TYPES
