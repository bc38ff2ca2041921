"""Writing a file so that a failure never destroys what was there: a temporary file, then a rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path, data: bytes | str) -> Path:
    """Write `data` to `path`, all or nothing.

    The bytes go to a temporary file in the same folder, are flushed to disk, and
    only then replace `path` (a rename, atomic on POSIX and Windows). If anything
    fails on the way (disk full, a file size limit, an interrupt), `path` keeps its
    old content and the temporary file is removed.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    folder = path.parent if str(path.parent) else Path(".")
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    return path
