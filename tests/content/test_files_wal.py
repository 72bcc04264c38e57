"""SQLite databases go to WAL mode even when another process holds the new file's lock."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from qalam.content.files import use_wal


def test_use_wal_waits_for_a_lock_sqlite_would_not_wait_for(tmp_path):
    path = tmp_path / "new.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")  # what a second process switching the same new file holds
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("PRAGMA journal_mode=WAL")  # the plain pragma fails at once
    threading.Timer(0.2, lambda: holder.execute("COMMIT")).start()
    started = time.monotonic()
    use_wal(other)
    assert time.monotonic() - started >= 0.15
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_use_wal_gives_up_after_its_timeout(tmp_path):
    path = tmp_path / "new.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        use_wal(other, timeout=0.1)
