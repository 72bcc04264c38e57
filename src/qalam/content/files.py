"""Atomic file writes: readers see the old content or the new, never half of it.

Used wherever Qalam writes into a site folder or its state (imports, config updates,
image renditions). The editor will write pages the same way.
"""

from __future__ import annotations

import fcntl
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


class LeaderLock:
    """An exclusive, non-blocking ``flock`` on a file: at most one process of a site holds it.

    The kernel releases it when the holding process exits, however it exits."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        """Take the lock if no other holder has it; True when this object holds it."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # who leads, for people looking
        self._fd = fd
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)


def use_wal(conn, timeout: float = 30.0) -> None:
    """Put a SQLite database in WAL mode, waiting while another process does the same.

    Switching a new database to WAL needs a lock SQLite does not wait for (its busy timeout does
    not apply): two processes opening the same new file at once (``qalam build --jobs 2``, the
    workers of ``qalam serve``) made one fail with "database is locked". Once the file is in WAL
    mode the pragma takes no lock at all.
    """
    import sqlite3
    import time

    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
