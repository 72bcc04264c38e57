"""Old URL -> new page: ``site.redirects`` in ``user/config/site.yaml``, answered with 301.

Grav (and Qalam) match ``site.redirects`` keys against the path of a request with the
language prefix taken off (``/kk/news/123`` and ``/news/123`` are both the route
``/news/123``), and put the request's language prefix in front of an internal target.  So:

* the **key** is the old URL's path, percent-decoded, without a trailing slash, without
  the host (the new site answers on its own host), and without a leading language
  segment when that is one of the site's languages;
* the **target** is the new page's route with ``[301]`` after it.  For an article in a
  language other than the site's default it starts with that language
  (``/ru/news/...``), which Qalam leaves as it is (Grav would add the request's prefix
  again; see docs/importing.md);
* an old URL with a query string (``/?p=123``, ``/news.php?id=5``) cannot be told apart
  by ``site.redirects`` (queries are not part of the route): it is recorded in the page's
  ``import.old_url`` but not redirected, and the report says so.

The file is updated with ruamel's round-trip mode, so the user's comments, key order and
quoting stay as they were, and written to a temporary file that replaces the old one in
one step.
"""

from __future__ import annotations

import io
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.util import load_yaml_guess_indent

from qalam.content.files import atomic_write_text

__all__ = ["redirect_key", "redirect_target", "RedirectBook", "RedirectError", "regex_safe_key"]

_REGEX_SPECIAL = re.compile(r"[()\[\]{}*+?^$|\\]")


class RedirectError(Exception):
    pass


def redirect_key(url: str, languages=None) -> tuple[str | None, str]:
    """(key for ``site.redirects``, '') or (None, why it cannot be redirected)."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme and parts.scheme not in ("http", "https"):
        return None, f"not a web address: {url}"
    if parts.query:
        return None, (f"the old URL {url} has a query string; site.redirects matches paths only, "
                      "so it cannot be redirected (it is kept in the page's import.old_url)")
    path = urllib.parse.unquote(parts.path or "/")
    if not path.startswith("/"):
        path = "/" + path
    path = re.sub(r"/{2,}", "/", path)
    if len(path) > 1:
        path = path.rstrip("/")
    if languages is not None and getattr(languages, "enabled", False):
        first, _, rest = path[1:].partition("/")
        for code in languages.supported:
            if first.lower() == code.lower():
                path = "/" + rest if rest else "/"
                break
    if path == "/":
        return None, f"the old URL {url} is the home page of the old site; nothing to redirect"
    if "\x00" in path or any(seg in (".", "..") for seg in path.split("/")):
        return None, f"the old URL {url} is not a usable path"
    return path, ""


def regex_safe_key(key: str) -> str:
    """Grav treats every key as a regular expression too: escape the characters that would change it."""
    return _REGEX_SPECIAL.sub(lambda m: "\\" + m.group(0), key)


def redirect_target(route: str, lang: str, languages=None, *, status: int = 301) -> str:
    """``/news/x[301]``, or ``/ru/news/x[301]`` for a page in a language other than the default."""
    prefix = ""
    if languages is not None and getattr(languages, "enabled", False) and lang and lang != languages.default:
        prefix = "/" + lang
    return f"{prefix}{route}[{status}]"


def _plain_target(value: str) -> str:
    return re.sub(r"\[30[0-8]\]\s*$", "", str(value).strip())


@dataclass
class RedirectBook:
    """The ``redirects:`` of one site's ``config/site.yaml``, edited in place."""

    config_dir: Path
    added: dict[str, str] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.path = self.config_dir / "site.yaml"
        self._yaml = YAML(typ="rt")
        self._yaml.preserve_quotes = True
        self._yaml.width = 4096
        self._yaml.allow_unicode = True
        self._doc = None
        self._original = ""
        if self.path.is_file():
            try:
                self._original = self.path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as err:
                raise RedirectError(f"config/site.yaml: cannot read it ({err}); fix the file first") from None
            try:
                _guess, indent, block_seq_indent = load_yaml_guess_indent(self._original)
                doc = self._yaml.load(self._original)  # this loader keeps quotes and comments
            except Exception as err:  # noqa: BLE001 — ruamel raises many kinds; all mean "fix the file"
                line = getattr(getattr(err, "problem_mark", None), "line", None)
                where = f"config/site.yaml:{line + 1}" if line is not None else "config/site.yaml"
                raise RedirectError(f"{where}: not valid YAML, so redirects cannot be added; fix it first") from None
            if indent:
                self._yaml.indent(mapping=indent, sequence=indent + (block_seq_indent or 0),
                                  offset=block_seq_indent or 0)
            if doc is None:
                doc = CommentedMap()
            if not isinstance(doc, dict):
                raise RedirectError("config/site.yaml: must be a mapping of settings; fix it first")
            self._doc = doc
        else:
            self._doc = CommentedMap()
        redirects = self._doc.get("redirects")
        if redirects is not None and not isinstance(redirects, dict):
            raise RedirectError("config/site.yaml: redirects: must be a mapping of old path to new path")

    @property
    def redirects(self) -> dict:
        return self._doc.get("redirects") or {}

    def lookup(self, key: str) -> str | None:
        existing = self.redirects
        for k in (key, regex_safe_key(key)):
            if k in existing:
                return str(existing[k])
        return None

    def add(self, key: str, target: str) -> str:
        """Record ``key -> target``; returns "added", "present" or a conflict message."""
        current = self.lookup(key)
        if current is not None:
            if _plain_target(current) == _plain_target(target):
                return "present"
            msg = (f"{key} already redirects to {current} in config/site.yaml; left as it is "
                   f"(this import would send it to {_plain_target(target)})")
            self.conflicts.append(msg)
            return msg
        if key in self.added:
            if _plain_target(self.added[key]) == _plain_target(target):
                return "present"
            msg = f"{key} is the old URL of two imported pages; it redirects to the first, {self.added[key]}"
            self.conflicts.append(msg)
            return msg
        self.added[key] = target
        return "added"

    def render(self) -> str:
        """The new text of config/site.yaml."""
        redirects = self._doc.get("redirects")
        if not isinstance(redirects, CommentedMap):
            new = CommentedMap()
            for k, v in (redirects or {}).items():
                new[k] = v
            if "redirects" in self._doc:
                self._doc["redirects"] = new
            else:
                self._doc.insert(len(self._doc), "redirects", new)
            redirects = new
        redirects.fa.set_block_style()
        for key, target in self.added.items():
            redirects[regex_safe_key(key)] = target
        buf = io.StringIO()
        self._yaml.dump(self._doc, buf)
        return buf.getvalue()

    def save(self) -> bool:
        """Write config/site.yaml when something was added (atomically); True when written."""
        if not self.added:
            return False
        text = self.render()
        self.config_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, text)
        return True
