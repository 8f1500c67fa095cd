"""Build the krew archive of the kubectl-netfence launcher, byte for byte reproducibly.

The archive holds only the launcher script and the licence notice; the same inputs give the
same bytes (fixed times, owners and order), so the sha256 in netfence.yaml can be checked by a
test and by anyone who rebuilds it::

    python plugins/krew/build_archive.py OUT.tar.gz
"""

from __future__ import annotations

import gzip
import hashlib
import io
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MEMBERS = (("kubectl-netfence", 0o755), ("LICENSE", 0o644))
"""What the archive holds (from launcher/), with their modes."""


def archive_bytes() -> bytes:
    """The archive's bytes."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, mode in MEMBERS:
            data = (HERE / "launcher" / name).read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", mtime=0, filename="") as out:
        out.write(raw.getvalue())
    return packed.getvalue()


def archive_sha256() -> str:
    """The sha256 netfence.yaml names."""
    return hashlib.sha256(archive_bytes()).hexdigest()


if __name__ == "__main__":
    Path(sys.argv[1]).write_bytes(archive_bytes())
    print(archive_sha256())
