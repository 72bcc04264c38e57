"""A page as the editor and the API see it: one Grav page file, header and Markdown body.

The file stays Grav's (``pages/02.news/my-story/item.kk.md``); the editor reads it fresh from disk
(never from a cache), and its version tag (ETag) is a hash of the file's bytes, so any change to
the file, whoever made it, makes an older tag stale.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from qalam.content.frontmatter import parse_page_text
from qalam.content.safefs import read_bytes
from qalam.content.urlpaths import slug_problem

#: Templates a page may be created with from the editor or the API (a file name part: no paths).
_TEMPLATE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")
#: Qalam's workflow states (the header's ``status:``; see docs/editor.md).
STATUSES = ("draft", "review", "published")


class DocumentError(ValueError):
    """A request names a page that cannot be written; ``field`` says which input is wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass
class PageDoc:
    lang: str
    route: str
    template: str
    header: dict
    body: str
    path: Path
    raw: bytes
    #: Why the file's header cannot be read (then ``header`` is empty and the page cannot be
    #: changed through the newsroom until the file is fixed: saving would drop its header).
    error: str | None = None

    @property
    def etag(self) -> str:
        return etag_of(self.raw)

    @property
    def status(self) -> str:
        return status_of(self.header)


def etag_of(raw: bytes) -> str:
    return '"' + hashlib.sha256(raw).hexdigest()[:24] + '"'


def status_of(header: dict) -> str:
    """draft, review or published: the header's ``status``, else what Grav's ``published`` says."""
    status = header.get("status")
    if status in STATUSES:
        return status
    published = header.get("published", True)
    if isinstance(published, str):
        published = published.strip().lower() not in ("false", "0", "no", "off", "")
    return "published" if published else "draft"


# --- languages and routes --------------------------------------------------------------------------
def site_lang(site, lang: str) -> str:
    """The site's code for ``lang`` ('' on a single-language site, whose language is site.default_lang)."""
    codes = site.language_codes
    if lang in codes and lang:
        return lang
    if codes == [""] and lang in ("", site.html_lang("")):
        return ""
    raise DocumentError("lang", f"the site has no language {lang!r} (it has: {', '.join(c or site.html_lang('') for c in codes)})")


def public_lang(site, code: str) -> str:
    return code or site.html_lang("")


def site_url(site, lang: str, route: str) -> str:
    """Where readers find the page (``/kk/news/x``; ``/news/x`` on a single-language site)."""
    return (site.languages.prefix(lang) if site.languages.enabled else "") + route


def normal_route(route: str) -> str:
    route = "/" + "/".join(p for p in str(route).split("/") if p)
    for part in route.strip("/").split("/"):
        if part and (problem := slug_problem(part)) is not None:
            raise DocumentError("route", f"the part {part!r} {problem}")
        if part and not re.fullmatch(r"[^\W_][\w.~-]*", part):
            raise DocumentError("route", f"the part {part!r} must start with a letter or digit and hold only "
                                         "letters, digits, '-', '_', '.' and '~'")
    if route == "/":
        raise DocumentError("route", "the home page's route is its own route (for example /home)")
    return route


def own_page(site, lang: str, route: str):
    """The page at ``route`` that has its own file in ``lang`` (not a fallback to another language)."""
    page = site.tree(lang).find(route)
    if page is None or not page.filename or (page.file_lang or "") != lang:
        return None
    return page


def read(site, lang: str, route: str) -> PageDoc | None:
    page = own_page(site, lang, route)
    if page is None:
        return None
    path = site.pages_dir / page.file_rel
    return load(site, path, lang=lang, route=page.route, template=_template_of(page.filename))


def load(site, path: Path, *, lang: str, route: str, template: str) -> PageDoc:
    raw = read_bytes(path, site.pages_dir, max_bytes=site.config.max_page_bytes)
    source = parse_page_text(raw.decode("utf-8", "replace"), path=str(path))
    if source.error is not None:
        where = f"line {source.error.get('line')}: " if isinstance(source.error, dict) and source.error.get("line") else ""
        message = source.error.get("message") if isinstance(source.error, dict) else str(source.error)
        return PageDoc(lang, route, template, {}, source.body, path, raw, error=f"{where}{message}")
    return PageDoc(lang, route, template, source.header, source.body, path, raw)


def _template_of(filename: str) -> str:
    return filename.split(".", 1)[0]


def file_name(site, template: str, lang: str) -> str:
    if not _TEMPLATE.match(template or ""):
        raise DocumentError("template", "use a template name such as item, default or blog (letters, digits, - and _)")
    return f"{template}.{lang}.md" if lang else f"{template}.md"


def path_for_new(site, lang: str, route: str, template: str) -> Path:
    """Where a page new in ``lang`` is written: the folder that already holds the route in another
    language (a translation), else a new folder under the parent route's folder."""
    name = file_name(site, template, lang)
    for code in site.language_codes:
        page = site.tree(code).find(route)
        if page is not None and page.node.rel:
            folder = site.pages_dir / page.node.rel
            existing = [n for n in page.node.files.values()]
            if any(f == name for f, _ in existing) or (folder / name).exists():
                raise DocumentError("route", f"{route} already has a page in this language")
            return folder / name
    parent_route, _, slug = route.rpartition("/")
    if parent_route:
        parent = None
        for code in site.language_codes:
            parent = site.tree(code).find(parent_route)
            if parent is not None:
                break
        if parent is None or not parent.node.rel:
            raise DocumentError("route", f"there is no section {parent_route} to put the page in; create it first")
        folder = site.pages_dir / parent.node.rel / slug
    else:
        folder = site.pages_dir / slug
    if folder.exists():
        raise DocumentError("route", f"the folder {folder.relative_to(site.pages_dir)} already exists")
    return folder / name


# --- writing ------------------------------------------------------------------------------------------
def page_text(header: dict, body: str) -> str:
    """The file's text: a YAML header Grav reads (strings quoted, Unicode as is) and the body."""
    buf = io.StringIO()
    _yaml().dump(_plain(header), buf)
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    return f"---\n{buf.getvalue()}---\n\n{body}\n"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.strftime("%d-%m-%Y %H:%M")
    return value


_YAML = None
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
#: Words YAML 1.1 (Grav's parser) reads as booleans or null: always quoted as strings.
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null"})


def _yaml():
    global _YAML
    if _YAML is None:
        from ruamel.yaml import YAML

        yaml = YAML(typ="safe", pure=True)
        yaml.default_flow_style = False
        yaml.allow_unicode = True
        yaml.width = 4096
        yaml.sort_base_mapping_type_on_output = False

        def string(rep, data: str):
            if "\n" in data:
                style = "|"
            elif _PLAIN.match(data) and data.lower() not in _YAML_WORDS:
                style = None  # keys and simple words as Grav's own files write them
            else:
                style = "'"
            return rep.represent_scalar("tag:yaml.org,2002:str", data, style=style)

        yaml.representer.add_representer(str, string)
        _YAML = yaml
    return _YAML
