"""The page index: parsed headers and bodies of every page file, persisted in SQLite.

It is derived state (architecture §1): ``qalam index --rebuild`` recreates it from the
files. A sync compares each file's mtime and size with what the index holds and parses
only what changed, so starting a server on an indexed site, or picking up one edited
file, costs a directory scan plus one parse.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .frontmatter import FrontMatterError, load_yaml_file, read_page_file
from .safefs import DEFAULT_MAX_PAGE_BYTES, UnsafeFile, real_root
from .files import use_wal
from .scan import FileStat

SCHEMA_VERSION = 5  # 4: files refused by safefs are problems; 5: unclosed headers, control characters

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    rel TEXT PRIMARY KEY,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    header TEXT NOT NULL,
    body TEXT NOT NULL,
    body_line INTEGER NOT NULL,
    problems TEXT
);
"""


@dataclass
class IndexedFile:
    rel: str
    mtime_ns: int
    size: int
    header: dict
    body_line: int
    #: [{"line": int|None, "message": str, "hint": str|None, "severity": "error"|"warning"}]
    problems: list[dict]

    @property
    def error(self) -> dict | None:
        """The problem that made the header unreadable, if any."""
        if not self.problems:
            return None
        return next((p for p in self.problems if p.get("severity", "error") == "error"), None)


@dataclass
class SyncReport:
    parsed: int = 0
    removed: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.parsed or self.removed)


class PageIndex:
    """SQLite store of parsed page files; safe to use from several threads (one writer lock)."""

    def __init__(self, db_path: str | os.PathLike, pages_dir: str | os.PathLike, *,
                 max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES):
        self.db_path = Path(db_path)
        self.pages_dir = Path(pages_dir)
        #: Page files above this size are not read (safefs): a problem in `check`, a notice on the page.
        self.max_page_bytes = max_page_bytes
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(self.db_path), check_same_thread=False, isolation_level=None)
        use_wal(self._conn)
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)
        row = self._conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None or int(row[0]) != SCHEMA_VERSION:
            # Derived state from another Qalam version: drop it and parse again.
            self._conn.execute("DROP TABLE IF EXISTS files")
            self._conn.executescript(SCHEMA)
            self.clear()
        self.entries: dict[str, IndexedFile] = {}
        self._load_entries()

    # --- reading -------------------------------------------------------------
    def _load_entries(self) -> None:
        with self._lock:
            rows = self._conn.execute(
                "SELECT rel, mtime_ns, size, header, body_line, problems FROM files"
            ).fetchall()
        self.entries = {
            r[0]: IndexedFile(r[0], r[1], r[2], json.loads(r[3]), r[4], json.loads(r[5]) if r[5] else [])
            for r in rows
        }

    def body(self, rel: str) -> str:
        with self._lock:
            row = self._conn.execute("SELECT body FROM files WHERE rel=?", (rel,)).fetchone()
        return row[0] if row else ""

    # --- writing -------------------------------------------------------------
    def clear(self) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM files")
            self._conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
            )
            self.entries = {}

    def sync(
        self,
        files: dict[str, FileStat],
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> SyncReport:
        """Bring the index in step with ``files`` (rel -> stat); parse only changed files."""
        report = SyncReport()
        todo = [
            st
            for rel, st in files.items()
            if (e := self.entries.get(rel)) is None or e.mtime_ns != st.mtime_ns or e.size != st.size
        ]
        removed = [rel for rel in self.entries if rel not in files]
        report.unchanged = len(files) - len(todo)
        if not todo and not removed:
            return report
        rows = []
        root = real_root(self.pages_dir)  # resolved once per sync, not once per file
        for i, st in enumerate(todo, 1):
            rows.append(self._parse(st, root))
            if progress and (i % 200 == 0 or i == len(todo)):
                progress(i, len(todo))
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany("DELETE FROM files WHERE rel=?", [(r,) for r in removed])
                self._conn.executemany(
                    "INSERT OR REPLACE INTO files(rel, mtime_ns, size, header, body, body_line, problems)"
                    " VALUES (?,?,?,?,?,?,?)",
                    rows,
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            for rel in removed:
                self.entries.pop(rel, None)
            for rel, mtime_ns, size, header, _body, body_line, problems in rows:
                self.entries[rel] = IndexedFile(
                    rel, mtime_ns, size, json.loads(header), body_line, json.loads(problems) if problems else []
                )
        report.parsed = len(todo)
        report.removed = len(removed)
        return report

    def _parse(self, st: FileStat, root: str) -> tuple:
        path = self.pages_dir / st.rel
        problems: list[dict] = []
        header: dict = {}
        body, body_line = "", 1
        try:
            if st.rel.endswith("frontmatter.yaml"):
                header = load_yaml_file(path, root=root)
            else:
                src = read_page_file(path, root=root, max_bytes=self.max_page_bytes)
                header, body, body_line = src.header, src.body, src.body_line
                if src.error:
                    problems.append(_err(src.error))
                problems.extend(_err(w, "warning") for w in src.warnings)
        except FrontMatterError as err:
            problems.append(_err(err))
        except UnsafeFile as err:
            # Never read (safefs): the page answers with a notice, `qalam check` says why.
            problems.append({"line": None, "message": f"not read: {err.reason}", "hint": err.hint or None,
                             "severity": "error", "unsafe": True})
        except OSError as err:
            problems.append({"line": None, "message": f"cannot read: {err.strerror}", "hint": None})
        if not isinstance(header, dict):
            header = {}
        return (
            st.rel,
            st.mtime_ns,
            st.size,
            json.dumps(header, ensure_ascii=False, default=str),
            body,
            body_line,
            json.dumps(problems, ensure_ascii=False) if problems else None,
        )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __iter__(self) -> Iterable[IndexedFile]:
        return iter(self.entries.values())


def _err(err: FrontMatterError, severity: str = "error") -> dict:
    return {"line": err.line, "message": err.message, "hint": err.hint, "severity": severity}
