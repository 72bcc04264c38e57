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
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .frontmatter import FrontMatterError, load_yaml_file, read_page_file
from .headers import conform as conform_header
from .safefs import DEFAULT_MAX_PAGE_BYTES, UnsafeFile, real_root
from .files import use_wal
from .scan import FileStat

SCHEMA_VERSION = 6  # 4: files refused by safefs are problems; 5: unclosed headers, control characters;
# 6: bodies in their own table, conformed headers stored, parsed dates kept

# Bodies live in their own table: in one row with the header, reading 50,000 headers walked every
# body's overflow pages (0.4 s instead of 0.1 s when a server starts).
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    rel TEXT PRIMARY KEY,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    header TEXT NOT NULL,
    body_line INTEGER NOT NULL,
    problems TEXT,
    conformed TEXT
);
CREATE TABLE IF NOT EXISTS bodies (rel TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dates (tz TEXT NOT NULL, formats TEXT NOT NULL, value TEXT NOT NULL,
                                  ts REAL, PRIMARY KEY (tz, formats, value));
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
    #: The header with wrongly shaped values dropped and the problems found (content/headers.py),
    #: computed once per file version when it is parsed; None: the header as it is, no problems.
    conformed_json: str | None = None

    @property
    def conformed(self) -> tuple[dict, list[tuple[str, str]]]:
        found = self.__dict__.get("_conformed")
        if found is None:
            if self.conformed_json is None:
                found = (self.header, [])
            else:
                header, problems = json.loads(self.conformed_json)
                found = (header, [tuple(p) for p in problems])
            self._conformed = found
        return found

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
            for table in ("files", "bodies", "dates"):
                self._conn.execute(f"DROP TABLE IF EXISTS {table}")
            self._conn.executescript(SCHEMA)
            self.clear()
        row = self._conn.execute("SELECT value FROM meta WHERE key='id'").fetchone()
        if row is None:
            self._conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('id', ?)", (uuid.uuid4().hex,))
            row = self._conn.execute("SELECT value FROM meta WHERE key='id'").fetchone()
        #: This index file's identity: a generation number means something only with it.
        self.identity: str = row[0]
        self._entries: dict[str, IndexedFile] | None = None  # loaded when first read

    @property
    def entries(self) -> dict[str, IndexedFile]:
        """Every indexed file by path (loaded on first use: a process that starts from a kept
        folder walk and renders nothing never needs them)."""
        if self._entries is None:
            with self._lock:
                if self._entries is None:
                    self._load_entries()
        return self._entries

    # --- reading -------------------------------------------------------------
    def _load_entries(self) -> None:
        with self._lock:
            rows = self._conn.execute(
                "SELECT rel, mtime_ns, size, header, body_line, problems, conformed FROM files"
            ).fetchall()
        self._entries = {
            r[0]: IndexedFile(r[0], r[1], r[2], json.loads(r[3]), r[4], json.loads(r[5]) if r[5] else [], r[6])
            for r in rows
        }

    @property
    def generation(self) -> int:
        """A number every change to the files table raises (in any process sharing the index):
        what was derived from the index at one generation still holds while it is the same."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    def _bump_generation(self) -> None:
        self._conn.execute(
            "INSERT INTO meta(key, value) VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE SET "
            "value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)")

    def body(self, rel: str) -> str:
        with self._lock:
            row = self._conn.execute("SELECT body FROM bodies WHERE rel=?", (rel,)).fetchone()
        return row[0] if row else ""

    # --- parsed header dates (Site.parse_date), kept between starts -----------------
    def load_dates(self, tz: str) -> dict[tuple[str, str], float | None]:
        """{(value, formats joined by newlines): POSIX time or None} parsed in the time zone ``tz``."""
        with self._lock:
            rows = self._conn.execute("SELECT formats, value, ts FROM dates WHERE tz=?", (tz,)).fetchall()
        return {(value, formats): ts for formats, value, ts in rows}

    def store_dates(self, tz: str, parsed: Iterable[tuple[str, str, float | None]]) -> None:
        """Keep ``(value, formats, POSIX time or None)`` for the next start (a date string is
        parsed once per site, not once per start: 50,000 cost half a second)."""
        rows = [(tz, formats, value, ts) for value, formats, ts in parsed]
        if not rows:
            return
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany("INSERT OR REPLACE INTO dates(tz, formats, value, ts) VALUES (?,?,?,?)", rows)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    # --- writing -------------------------------------------------------------
    def clear(self) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM files")
            self._conn.execute("DELETE FROM bodies")
            self._conn.execute("DELETE FROM dates")
            self._conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
            )
            self._bump_generation()
            self._entries = {}

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
                self._conn.executemany("DELETE FROM bodies WHERE rel=?", [(r,) for r in removed])
                self._conn.executemany(
                    "INSERT OR REPLACE INTO files(rel, mtime_ns, size, header, body_line, problems, conformed)"
                    " VALUES (?,?,?,?,?,?,?)",
                    [(r[0], r[1], r[2], r[3], r[5], r[6], r[7]) for r in rows],
                )
                self._conn.executemany("INSERT OR REPLACE INTO bodies(rel, body) VALUES (?,?)",
                                       [(r[0], r[4]) for r in rows])
                self._bump_generation()
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            for rel in removed:
                self.entries.pop(rel, None)
            for rel, mtime_ns, size, header, _body, body_line, problems, conformed in rows:
                self.entries[rel] = IndexedFile(
                    rel, mtime_ns, size, json.loads(header), body_line, json.loads(problems) if problems else [],
                    conformed,
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
        header_json = json.dumps(header, ensure_ascii=False, default=str)
        stored = json.loads(header_json)  # what readers of the index get
        fitted, header_problems = conform_header(stored)
        conformed = None
        if header_problems or fitted != stored:
            conformed = json.dumps([fitted, header_problems], ensure_ascii=False)
        return (
            st.rel,
            st.mtime_ns,
            st.size,
            header_json,
            body,
            body_line,
            json.dumps(problems, ensure_ascii=False) if problems else None,
            conformed,
        )

    def reopen_after_fork(self) -> sqlite3.Connection:
        """In a forked child: a connection of its own (a SQLite connection must not be used
        across fork(), sqlite.org/howtocorrupt.html §2.6). Returns the inherited one, which the
        caller keeps alive and never uses (closing it could disturb the parent's)."""
        inherited = self._conn
        self._conn = sqlite3.connect(str(self.db_path), check_same_thread=False, isolation_level=None)
        return inherited

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __iter__(self) -> Iterable[IndexedFile]:
        return iter(self.entries.values())


def _err(err: FrontMatterError, severity: str = "error") -> dict:
    return {"line": err.line, "message": err.message, "hint": err.hint, "severity": severity}
