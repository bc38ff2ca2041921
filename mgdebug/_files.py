"""Writing a file so that a failure never destroys what was there: a temporary file, then a rename."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path


def write_atomically(path, data: bytes | str) -> Path:
    """Write `data` to `path`, all or nothing.

    The bytes go to a temporary file in the same folder, are flushed to disk, and
    only then replace `path` (a rename, atomic on POSIX and Windows). If anything
    fails on the way (disk full, a file size limit, an interrupt), `path` keeps its
    old content and the temporary file is removed. The new file gets the old one's
    permissions, or the usual ones for a new file (0o666 less the umask); a
    symlink is written through, to the file it points at.
    """
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()
    if isinstance(data, str):
        data = data.encode("utf-8")
    folder = path.parent if str(path.parent) else Path(".")
    temporary = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(temporary, flags, 0o666)  # the umask applies, as for open()
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        except OSError:  # no file there yet (or not ours to read): keep the usual
            pass
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    return path
