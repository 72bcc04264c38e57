"""Jinja2 theme environment: template lookup by Grav template name, filters, UI strings."""

from __future__ import annotations

import threading
from pathlib import Path

import jinja2
from markupsafe import Markup

from qalam.content import images
from qalam.content.syndication import register_feed_url as register_feed_globals
from qalam.lang.dates import format_date
from qalam.news import counter as view_counter
from qalam.news import outlets

from .fragments import SharedFragments
from .strings import ui_string

THEMES_DIR = Path(__file__).parent / "themes"

_env: dict[str, jinja2.Environment] = {}
_lock = threading.Lock()


def theme_dirs(site) -> list[Path]:
    """The site's own theme folder first (``qalam.theme`` as a path), then the default theme."""
    name = site.theme_name
    dirs: list[Path] = []
    candidate = Path(name)
    if not candidate.is_absolute():
        candidate = site.user_dir / name
    if (candidate / "templates").is_dir():
        dirs.append(candidate)
    elif (THEMES_DIR / name / "templates").is_dir():
        dirs.append(THEMES_DIR / name)
    if THEMES_DIR / "default" not in dirs:
        dirs.append(THEMES_DIR / "default")
    return dirs


def reset_environment() -> None:
    with _lock:
        _env.clear()


def environment(site) -> jinja2.Environment:
    """The site's Jinja environment (one per site and theme); its globals are bound to ``site``."""
    key = f"{id(site)}:{site.theme_name}"
    env = _env.get(key)
    if env is None:
        with _lock:
            env = jinja2.Environment(
                loader=jinja2.FileSystemLoader([str(d / "templates") for d in theme_dirs(site)]),
                autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
                trim_blocks=True,
                lstrip_blocks=True,
                auto_reload=True,
                # Compiled templates kept in the state folder: a new process (a server's cold
                # start, `qalam build`) loads them instead of compiling every template again.
                bytecode_cache=_bytecode_cache(site),
                extensions=[SharedFragments],  # {% shared key %}: render/fragments.py
            )
            env.shared_stamp = lambda: _shared_stamp(site)
            env.filters["date"] = lambda value, lang, style="long", tz=None: (
                format_date(value, lang, style, tz=tz or site.tz) if value else ""
            )
            env.globals["t"] = lambda key, lang, **fmt: ui_string(key, lang, site=site, **fmt)
            view_counter.register(env, site)
            register_feed_globals(env, site)
            outlets.register(env, site)
            images.register(env)  # image_attrs(page, filename, sizes=None): docs/images.md
            env.filters["safe_html"] = Markup
            _env[key] = env
    return env


def _shared_stamp(site):
    """What a shared fragment depends on besides its key: the content version and the view
    counter's state; valid until the next scheduled publish or unpublish."""
    now = site.now()
    changes = [c for c in (site.tree(code).next_change(now) for code in site.language_codes) if c is not None]
    return (site.version, view_counter.for_site(site).stamp()), (min(changes) if changes else None), now


def _bytecode_cache(site) -> jinja2.BytecodeCache | None:
    folder = site.state_dir / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a read-only state folder: compile in memory
    return jinja2.FileSystemBytecodeCache(str(folder))


def page_template(site, name: str) -> jinja2.Template:
    """`<name>.html`, else `default.html` (modules: `modular/<name>.html`, else `modular/default.html`)."""
    env = environment(site)
    candidates = [f"{name}.html"]
    if name.startswith("modular/"):
        candidates.append("modular/default.html")
    candidates.append("default.html")
    return env.select_template(candidates)


def static_file(site, name: str) -> Path | None:
    for d in theme_dirs(site):
        base = (d / "static").resolve()
        path = (base / name).resolve()
        try:
            path.relative_to(base)
        except ValueError:
            return None
        if path.is_file():
            return path
    return None
