"""The site's history: every save from the editor or the API is a git commit in ``user/``.

The repository is the one ``user/`` is in (Grav's Git Sync plugin keeps ``user/.git``). When the
folder is in none, :meth:`GitStore.ensure` creates ``user/.git`` and commits the site as it is
(docs/editor.md).
Qalam's state folder ``user/.qalam/`` ignores itself, so accounts, the page index and autosaved
drafts never enter the history.

We drive the ``git`` command rather than a Python git library: it is on every server that runs a
site from a repository, it is the same tool the site's people use to look at the history, and
its behaviour (hooks, ``.gitattributes``, the object format) is the reference. Every call runs
with a fixed environment: no pager, no prompts, no global or system config that could change the
output, and the author and committer given explicitly.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

#: Who commits the initial import of a site and changes no account made.
SYSTEM_NAME = "Qalam"
SYSTEM_EMAIL = "qalam@localhost"

_SEP = "\x1f"  # unit separator: never in a name, date or message subject


class GitError(RuntimeError):
    """A git command failed; the message says which and what git printed."""


@dataclass(frozen=True)
class Version:
    """One commit that touched a file."""

    id: str
    author: str
    email: str
    date: datetime
    message: str


class GitStore:
    """The git repository of one site's ``user/`` folder."""

    def __init__(self, root: Path, state_dir: Path):
        self.root = Path(root)
        self._lock_path = Path(state_dir) / "git.lock"
        self._thread_lock = threading.RLock()
        self._ready = False
        self._depth = 0
        self._fd: int | None = None

    # --- running git ----------------------------------------------------------------------------
    def _env(self, name: str = SYSTEM_NAME, email: str = SYSTEM_EMAIL) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update({
            "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0",
            "GIT_PAGER": "cat", "LC_ALL": "C",
            "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email,
        })
        return env

    def git(self, *args: str, name: str = SYSTEM_NAME, email: str = SYSTEM_EMAIL, check: bool = True,
            binary: bool = False, status: bool = False):
        try:
            done = subprocess.run(["git", "-C", str(self.root), "-c", "core.quotepath=off", *args],
                                  env=self._env(name, email), capture_output=True, timeout=60)
        except FileNotFoundError as err:
            raise GitError("the git command is not installed: install git (apt install git)") from err
        if check and done.returncode != 0:
            raise GitError(f"git {args[0]} failed in {self.root}: {done.stderr.decode('utf-8', 'replace').strip()}")
        if status:
            return done.returncode
        return done.stdout if binary else done.stdout.decode("utf-8", "replace")

    class _Locked:
        """Re-entrant: the thread lock counts nesting, and only the outermost level takes the file
        lock (a second flock on a new descriptor in the same process would wait for itself)."""

        def __init__(self, store: GitStore):
            self.store = store

        def __enter__(self):
            store = self.store
            store._thread_lock.acquire()
            store._depth += 1
            if store._depth == 1:
                try:
                    store._lock_path.parent.mkdir(parents=True, exist_ok=True)
                    store._fd = os.open(store._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
                    fcntl.flock(store._fd, fcntl.LOCK_EX)  # other serving processes of the site wait here
                except BaseException:
                    store._depth -= 1
                    store._thread_lock.release()
                    raise
            return self

        def __exit__(self, *exc):
            store = self.store
            try:
                store._depth -= 1
                if store._depth == 0 and store._fd is not None:
                    fcntl.flock(store._fd, fcntl.LOCK_UN)
                    os.close(store._fd)
                    store._fd = None
            finally:
                store._thread_lock.release()

    def locked(self) -> GitStore._Locked:
        """Hold while writing a file and committing it: one writer at a time across processes."""
        return GitStore._Locked(self)

    # --- the repository -------------------------------------------------------------------------
    def ensure(self) -> None:
        """Make sure ``user/`` is in a repository with at least one commit.

        A ``user/`` folder inside a repository that tracks it (a site kept as a whole in git, or
        Grav's Git Sync) commits there. Otherwise, and when the enclosing repository ignores the
        folder, ``user/`` gets a repository of its own, whose first commit is the site as it was.
        """
        if self._ready:
            return
        with self.locked():
            top = self.git("rev-parse", "--show-toplevel", check=False).strip()
            if top and self.git("check-ignore", "-q", ".", check=False, status=True) == 0:
                top = ""  # inside a repository that ignores the site: the site gets its own
            if not top:
                self.git("init", "-q")
            if not self.git("rev-parse", "--verify", "-q", "HEAD", check=False).strip():
                self.git("add", "-A", "--", ".")
                self.git("commit", "-q", "--allow-empty", "-m", "Qalam: the site as it was before the editor")
        self._ready = True

    def rel(self, path: Path) -> str:
        """``path`` relative to ``user/``: git reads pathspecs relative to the folder it runs in."""
        return Path(path).resolve().relative_to(self.root.resolve()).as_posix()

    def commit(self, paths: list[Path], message: str, *, name: str, email: str) -> str:
        """Commit the current state of ``paths`` (added, changed or deleted); return the commit id.

        Call inside :meth:`locked`, after writing the files. Other changes in the work tree are
        left alone: only these paths go into the commit.
        """
        self.ensure()
        rels = [self.rel(p) for p in paths]
        self.git("add", "-A", "--", *rels)
        if not self.git("diff", "--cached", "--name-only", "--", *rels).strip():
            return self.head()  # nothing changed: no empty commit
        self.git("commit", "-q", "-m", message, "--", *rels, name=name or SYSTEM_NAME, email=email or SYSTEM_EMAIL)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def log(self, path: Path, limit: int = 200) -> list[Version]:
        """Commits that changed ``path``, newest first.

        Not ``--follow``: git finds "renames" by similarity, and news stories written from one
        template are similar, so one story's history would show another's. A page moved to
        another folder starts a new history there (the old one stays in ``git log``)."""
        self.ensure()
        out = self.git("log", f"-n{limit}", f"--format=%H{_SEP}%an{_SEP}%ae{_SEP}%at{_SEP}%s",
                       "--", self.rel(path))
        versions = []
        for line in out.splitlines():
            parts = line.split(_SEP)
            if len(parts) == 5:
                versions.append(Version(parts[0], parts[1], parts[2],
                                        datetime.fromtimestamp(int(parts[3]), tz=UTC), parts[4]))
        return versions

    def show(self, version: str, path: Path) -> bytes | None:
        """The file as it was in ``version`` (None when it did not exist there)."""
        if not all(c in "0123456789abcdef" for c in version) or not 4 <= len(version) <= 64:
            return None
        self.ensure()
        rel = self.rel(path)
        data = self.git("show", f"{version}:./{rel}", binary=True, check=False)
        return data if data else None
