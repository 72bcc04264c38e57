"""Atomic file writes: readers see the old content or the new, never half of it.

Used wherever Qalam writes into a site folder or its state (imports, config updates,
image renditions). The editor will write pages the same way.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    ``durable`` also fsyncs before the rename (content a user wrote); derived files such as
    renditions skip it. An existing file keeps its permission bits; a new one gets 0644.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """UTF-8 text with LF line ends, written atomically and durably."""
    atomic_write_bytes(path, text.encode("utf-8"))
