"""Site configuration: Grav's ``user/config/*.yaml`` merged over Grav's defaults.

Grav loads ``system/config/*.yaml`` and then ``user/config/**/*.yaml``; the file
path gives the key (``config/plugins/feed.yaml`` -> ``plugins.feed``), rule book §7.
Qalam's own settings live in ``config/qalam.yaml`` (a file Grav ignores), so a site
stays a valid Grav site.

Every option Qalam reads is declared in :data:`OPTIONS` with a one-line
description; ``docs/configuration.md`` documents each one (a test checks that).
"""

from __future__ import annotations

import copy
import os
import functools
import re
import urllib.parse
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .frontmatter import FrontMatterError, load_yaml_file
from .safefs import DEFAULT_MAX_PAGE_BYTES, UnsafeFile, parse_size
from .urlpaths import route_problem
from .problems import Problem, key_line

#: Grav defaults that matter to Qalam (system/config/system.yaml, site.yaml, media.yaml).
DEFAULTS: dict[str, Any] = {
    "system": {
        "home": {"alias": "/home", "hide_in_urls": False},
        "languages": {
            "supported": [],
            "default_lang": None,
            "include_default_lang": True,
            "include_default_lang_file_extension": True,
            "content_fallback": {},
            "http_accept_language": False,
            "session_store_active": False,
        },
        "pages": {
            "order": {"by": "default", "dir": "asc"},
            "dateformat": {"default": None, "short": "jS M Y", "long": "F jS \\a\\t g:ia"},
            "publish_dates": True,
            "process": {"markdown": True, "twig": False},
            "markdown": {
                "extra": False,
                "auto_line_breaks": False,
                "auto_url_links": False,
                "escape_markup": False,
                "valid_link_attributes": ["rel", "target", "id", "class", "classes"],
            },
            "twig_first": False,
            "redirect_default_code": 302,
            "redirect_trailing_slash": 1,
            "redirect_default_route": 0,
            "hide_empty_folders": False,
            "url_taxonomy_filters": True,
            "append_url_extension": "",
            "ignore_folders": [".git", ".idea"],
            "ignore_files": [".DS_Store"],
        },
        "timezone": "",
        "force_lowercase_urls": True,
        "param_sep": ":",
    },
    "site": {
        "title": "Qalam",
        "base_url": "",
        "default_lang": "en",
        "author": {"name": "", "email": ""},
        "taxonomies": ["category", "tag"],
        "metadata": {},
        "summary": {"enabled": True, "format": "short", "size": 300, "delimiter": "==="},
        "redirects": {},
        "routes": {},
    },
    "media": {
        "types": {
            ext: {}
            for ext in (
                "jpg jpeg png gif webp svg avif bmp ico tif tiff "
                "pdf doc docx xls xlsx ppt pptx odt ods odp txt csv json xml zip gz tar 7z rar "
                "mp3 ogg wav m4a flac mp4 webm mov avi mkv m4v vtt"
            ).split()
        }
    },
    "qalam": {
        "theme": "default",
        "timezone": "Asia/Almaty",
        "max_page_bytes": "4MB",
        "hosts": [],
        "csp": "default",
        "proxy": {"trusted": []},
        "cache": {"max_age": 60},
        "page_size": 10,
        "site_url": "",
        "site_type": "news",
        "publisher": {"name": "", "logo": ""},
        "feeds": {"limit": 20},
        "counter": {"flush_seconds": 5, "bots": []},
        "outlets": {"feeds": [], "refresh_minutes": 15, "max_items": 8, "timeout": 5, "max_bytes": 1000000},
        "distribution": {
            "indexnow": {"enabled": False, "key": "", "endpoint": "https://api.indexnow.org/indexnow"},
            "telegram": {"enabled": False, "chat_id": "", "api_base": "https://api.telegram.org"},
            "retries": 5,
        },
        "images": {"widths": [480, 800, 1200], "webp": True, "quality": 82},
        "import": {"furniture": [], "furniture_defaults": True},
    },
}

#: Every option Qalam reads, with what it does (the docs-completeness test checks docs/configuration.md).
OPTIONS: dict[str, str] = {
    "system.home.alias": "Route of the page that is also served at `/`.",
    "system.home.hide_in_urls": "Drop the home page's segment from its children's routes.",
    "system.languages.supported": "Language codes; empty turns multi-language off (then `item.kk.md` is not a page).",
    "system.languages.default_lang": "Default content language; the first supported language when unset.",
    "system.languages.include_default_lang": "Prefix the default language's URLs with `/<lang>` too.",
    "system.languages.http_accept_language": "Pick the language of an unprefixed URL from the browser's Accept-Language.",
    "system.home.aliases": "Per-language home routes, e.g. {kk: /basty, ru: /glavnaya}.",
    "system.pages.twig_first": "Run Twig before Markdown on pages that use Twig.",
    "system.languages.content_fallback": "Per-language list of languages to fall back to for untranslated pages.",
    "system.pages.order.by": "Default order of child pages (default, title, date, folder, slug, ...).",
    "system.pages.order.dir": "Default direction of child page order (asc or desc).",
    "system.pages.dateformat.default": "PHP date format tried first when reading page dates.",
    "system.pages.publish_dates": "Honour `publish_date` / `unpublish_date` headers.",
    "system.pages.process.markdown": "Render page bodies as Markdown.",
    "system.pages.process.twig": "Run page bodies through the Twig sandbox.",
    "system.pages.markdown.extra": "Markdown Extra: footnotes, definition lists, abbreviations, attributes.",
    "system.pages.markdown.auto_line_breaks": "Single newlines become line breaks.",
    "system.pages.markdown.auto_url_links": "Bare URLs become links.",
    "system.pages.markdown.escape_markup": "Escape raw HTML in Markdown instead of passing it through.",
    "system.pages.markdown.valid_link_attributes": "Link query keys that become HTML attributes.",
    "system.pages.redirect_default_code": "HTTP status of `redirect:` headers without an explicit code.",
    "system.pages.redirect_trailing_slash": "Redirect `/path/` to `/path`.",
    "system.pages.redirect_default_route": "Redirect aliases to the page's main route.",
    "system.pages.hide_empty_folders": "Hide folders that hold no page file.",
    "system.pages.url_taxonomy_filters": "Allow `/tag:x` filters in listing URLs.",
    "system.pages.ignore_folders": "Folder names never scanned.",
    "system.pages.ignore_files": "File names never treated as media.",
    "system.timezone": "Time zone for dates written without one (falls back to `qalam.timezone`).",
    "system.force_lowercase_urls": "Lowercase slugs taken from folder names.",
    "system.param_sep": "Separator of URL parameters such as `page:2`.",
    "site.title": "Site name shown in the header and in `<title>`.",
    "site.default_lang": "`<html lang>` when multi-language is off.",
    "site.author.name": "Default author name.",
    "site.taxonomies": "Taxonomy types that are indexed (default category, tag).",
    "site.metadata": "Default `<meta>` tags; page `metadata:` is merged over it.",
    "site.summary.enabled": "Show summaries in listings.",
    "site.summary.format": "`short` cuts at the delimiter, `long` by size.",
    "site.summary.size": "Summary length in characters when cutting by size.",
    "site.summary.delimiter": "The paragraph that ends a summary.",
    "site.redirects": "Old path (or regex) -> new path, answered with a redirect.",
    "site.routes": "Extra path (or regex) -> page route, served without a redirect.",
    "media.types": "File extensions served as page media.",
    "site.base_url": "The site's public address (https://example.kz): every absolute URL (canonical, hreflang, Open Graph, JSON-LD, feeds, sitemaps) is built from it, never from a request's Host. `qalam.site_url` is the same setting under its older name.",
    "qalam.csp": "Content-Security-Policy of HTML pages: `default` (Qalam's policy, which the default theme passes), a policy of your own, or `false` for none.",
    "qalam.hosts": "Host names accepted in requests besides loopback and the base URL's host (a request naming another host gets 400).",
    "qalam.proxy.trusted": "Addresses of reverse proxies whose X-Forwarded-For/-Proto headers are believed (`qalam serve --proxy-headers` sets 127.0.0.1).",
    "qalam.max_page_bytes": "Largest page file read, in bytes or with a unit (`4MB`); a bigger one is a `check` error and a notice on the page.",
    "qalam.theme": "Theme name (`default`) or path to a theme folder with `templates/` and `static/`.",
    "qalam.timezone": "Time zone used when `system.timezone` is empty (Asia/Almaty).",
    "qalam.cache.max_age": "Seconds a browser or proxy may reuse a page (bounded by the next scheduled change).",
    "qalam.page_size": "Items per page on listings generated by Qalam (taxonomy pages).",
    "qalam.site_url": "The site's public address (https://example.kz) for feeds, sitemaps and shared links.",
    "qalam.site_type": "`news` (NewsArticle markup, news sitemap) or `blog` (BlogPosting markup).",
    "qalam.publisher.name": "Publisher name in structured data (defaults to site.title).",
    "qalam.publisher.logo": "Publisher logo URL or path for structured data.",
    "qalam.feeds.limit": "Items in each RSS/Atom/JSON feed.",
    "qalam.counter.flush_seconds": "How often buffered page views are written to the database.",
    "qalam.counter.bots": "Extra User-Agent substrings treated as bots (not counted).",
    "qalam.outlets.feeds": "Other outlets' RSS/Atom feeds: list of {name, url, lang}.",
    "qalam.outlets.refresh_minutes": "How often other outlets' feeds are fetched in the background.",
    "qalam.outlets.max_items": "How many of other outlets' latest items are shown.",
    "qalam.outlets.timeout": "Seconds to wait for another outlet's feed.",
    "qalam.outlets.max_bytes": "Largest feed accepted from another outlet, in bytes.",
    "qalam.distribution.indexnow.enabled": "Notify IndexNow when an article is published.",
    "qalam.distribution.indexnow.key": "IndexNow key (also served at /<key>.txt).",
    "qalam.distribution.indexnow.endpoint": "IndexNow endpoint URL.",
    "qalam.distribution.telegram.enabled": "Post new articles to a Telegram channel.",
    "qalam.distribution.telegram.chat_id": "The channel (@name or id); the bot token comes from the QALAM_TELEGRAM_TOKEN environment variable, never from a file.",
    "qalam.distribution.telegram.api_base": "Telegram Bot API base URL.",
    "qalam.distribution.retries": "Attempts (with backoff) for each IndexNow or Telegram delivery.",
    "qalam.images.widths": "Widths of image renditions for srcset.",
    "qalam.images.webp": "Also make WebP renditions.",
    "qalam.images.quality": "JPEG/WebP quality of renditions.",
    "qalam.import.furniture": "Extra page-furniture lines the text importer drops (labels of the old site).",
    "qalam.import.furniture_defaults": "Also drop Qalam's built-in furniture labels (share buttons, PHOTO, ...).",
}


def deep_merge(base: dict, over: dict) -> dict:
    """Merge ``over`` into a copy of ``base``; maps merge key by key, other values replace."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def dotted_get(data: Any, dotted: str, default: Any = None) -> Any:
    cur = data
    for part in dotted.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            return default
    return cur


def truthy(value: Any) -> bool:
    """PHP truthiness, as Grav casts header flags: '0', '', 'false'-ish strings are false."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off", "null")
    return bool(value)


@dataclass
class LanguageSettings:
    supported: list[str]
    default: str  # '' when multi-language is off
    include_default_lang: bool
    content_fallback: dict[str, list[str]]

    @property
    def enabled(self) -> bool:
        return bool(self.supported)

    def fallback_chain(self, lang: str) -> list[str]:
        """File-extension languages tried for ``lang`` (Language::getFallbackLanguages).

        ``''`` stands for a plain ``.md`` file and sits right after the default language.
        """
        if not self.enabled:
            return [""]
        if lang in self.content_fallback:
            chain = [lang, *self.content_fallback[lang]]
        else:
            chain = [lang, self.default]
        out: list[str] = []
        for code in chain:
            if code not in out:
                out.append(code)
            if code == self.default and "" not in out:
                out.append("")
        return out

    def prefix(self, lang: str) -> str:
        """URL prefix for a language: ``/kk`` or ``''``."""
        if not self.enabled or not lang:
            return ""
        if lang == self.default and not self.include_default_lang:
            return ""
        return "/" + lang


@dataclass
class Config:
    """The merged configuration with typed accessors for what Qalam reads often."""

    data: dict
    problems: list[Problem] = field(default_factory=list)

    def get(self, dotted: str, default: Any = None) -> Any:
        return dotted_get(self.data, dotted, default)

    # --- typed views -------------------------------------------------------
    @functools.cached_property
    def languages(self) -> LanguageSettings:
        # Cached: Page.url() asks for it, 30 000 times for one 10 000-entry sitemap (profiled);
        # a changed configuration is a new Config object.
        raw = self.get("system.languages") or {}
        supported = [str(x) for x in (raw.get("supported") or []) if str(x).strip()]
        default = raw.get("default_lang") or (supported[0] if supported else "")
        default = str(default) if default else ""
        if supported and default not in supported:
            supported.append(default)
        fallback = {}
        for key, value in (raw.get("content_fallback") or {}).items():
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            fallback[str(key)] = [str(v) for v in value or []]
        return LanguageSettings(
            supported=supported,
            default=default,
            include_default_lang=truthy(raw.get("include_default_lang", True)),
            content_fallback=fallback,
        )

    @property
    def timezone(self) -> zoneinfo.ZoneInfo:
        from qalam.lang.dates import zone

        name = self.get("system.timezone") or self.get("qalam.timezone") or "UTC"
        try:
            return zone(str(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zone("UTC")

    @property
    def taxonomies(self) -> list[str]:
        value = self.get("site.taxonomies") or []
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",")]
        return [str(v) for v in value if str(v).strip()]

    @property
    def date_formats(self) -> list[str]:
        fmt = self.get("system.pages.dateformat.default")
        return [str(fmt)] if fmt else []

    @property
    def base_url(self) -> str | None:
        """``site.base_url`` (or ``qalam.site_url``) without its trailing slash; None when unset or
        not an http(s) address (`check` reports that)."""
        for key in ("site.base_url", "qalam.site_url"):
            value = str(self.get(key) or "").strip()
            if value:
                return value.rstrip("/") if _http_base(value) else None
        return None

    @property
    def hosts(self) -> set[str]:
        """Host names (lower case, no port) a request may name: loopback, the base URL's host and
        ``qalam.hosts``."""
        names = {"localhost", "127.0.0.1", "::1", "[::1]"}
        base = self.base_url
        if base:
            names.add((urllib.parse.urlsplit(base).hostname or "").lower())
        extra = self.get("qalam.hosts") or []
        if isinstance(extra, str):
            extra = [h.strip() for h in extra.split(",")]
        if isinstance(extra, list):
            names.update(str(h).strip().lower() for h in extra if str(h).strip())
        return names

    @property
    def max_page_bytes(self) -> int:
        value = self.get("qalam.max_page_bytes")
        if value in (None, ""):
            return DEFAULT_MAX_PAGE_BYTES
        try:
            return max(1024, parse_size(value))
        except ValueError:
            return DEFAULT_MAX_PAGE_BYTES

    @property
    def title(self) -> str:
        return str(self.get("site.title") or "")


def _http_base(value: str) -> bool:
    parts = urllib.parse.urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.query and not parts.fragment


def _config_files(config_dir: Path) -> list[tuple[str, Path]]:
    """(dotted key prefix, file) for every YAML file under ``config/``, in a stable order."""
    out: list[tuple[str, Path]] = []
    if not config_dir.is_dir():
        return out
    for dirpath, dirnames, filenames in os.walk(config_dir):
        dirnames.sort()
        for name in sorted(filenames):
            if not name.endswith(".yaml") or name.startswith("."):
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(config_dir).with_suffix("")
            out.append((".".join(rel.parts), path))
    return out


def load_config(user_dir: Path, overrides: dict | None = None) -> Config:
    """Load ``user_dir/config/**/*.yaml`` over :data:`DEFAULTS`; collect, never raise on, problems."""
    data = copy.deepcopy(DEFAULTS)
    problems: list[Problem] = []
    config_root = os.path.realpath(user_dir / "config")
    for key, path in _config_files(user_dir / "config"):
        rel = str(path.relative_to(user_dir))
        try:
            loaded = load_yaml_file(path, root=config_root)
        except FrontMatterError as err:
            problems.append(Problem(rel, err.line, err.message + (f" — {err.hint}" if err.hint else "")))
            continue
        except UnsafeFile as err:
            problems.append(Problem(rel, None, f"not read: {err}"))
            continue
        except OSError as err:
            problems.append(Problem(rel, None, f"cannot read: {err.strerror}"))
            continue
        if not isinstance(loaded, dict):
            problems.append(Problem(rel, 1, "the file must hold a mapping of keys to values"))
            continue
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            existing = node.get(parts[-1])
            node[parts[-1]] = deep_merge(existing, loaded) if isinstance(existing, dict) else loaded
    if overrides:
        data = deep_merge(data, overrides)
    data = _conform(data, DEFAULTS, "", problems, user_dir)
    config = Config(data, problems)
    problems.extend(validate(config))
    return config


def _conform(value: Any, default: Any, key: str, problems: list[Problem], user_dir: Path) -> Any:
    """``value`` with every setting that has the wrong shape for Qalam (a list where a mapping is
    read, a word where a number is) replaced by its default, each reported as
    ``config/<file>.yaml:<line>: <key>: must be ... (the default is used)``: a setting is read
    at request time, so a bad shape must be caught here, not answer 500 (docs/security.md)."""
    if value is None:
        return copy.deepcopy(default)

    def bad(what: str) -> Any:
        file, _, rest = key.partition(".")
        rel = f"config/{file}.yaml"
        line = key_line(user_dir / rel, rest) if rest else None
        problems.append(Problem(rel, line, f"{rest or file}: must be {what}, not {_describe(value)}; "
                                           f"the default ({_describe(default, True)}) is used"))
        return copy.deepcopy(default)

    if isinstance(default, dict):
        if not isinstance(value, dict):
            return bad("a mapping of settings")
        for k, d in default.items():
            if k in value:
                value[k] = _conform(value[k], d, f"{key}.{k}" if key else k, problems, user_dir)
        return value
    if isinstance(default, list):
        return value if isinstance(value, list) else bad("a list")
    if isinstance(default, bool):
        return value if not isinstance(value, (dict, list)) else bad("yes or no")
    if isinstance(default, int):
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, (int, float)):
            return value
        word = str(value).strip().lower()
        if word in ("true", "yes", "on", "false", "no", "off"):  # Grav's yes/no settings that default to 1/0
            return int(word in ("true", "yes", "on"))
        try:
            return int(str(value).strip())
        except ValueError:
            try:
                return float(str(value).strip())
            except ValueError:
                return bad("a number")
    return value if not isinstance(value, (dict, list)) else bad("a single value")


def _describe(value: Any, default: bool = False) -> str:
    if isinstance(value, dict):
        return "a mapping" if value or not default else "empty"
    if isinstance(value, list):
        return "a list" if value or not default else "empty"
    text = repr(value) if not isinstance(value, str) else repr(value[:40])
    return text


def validate(config: Config) -> list[Problem]:
    """Check the options Qalam relies on; report 'key: what is wrong (the fix)'."""
    out: list[Problem] = []

    def bad(file: str, message: str) -> None:
        out.append(Problem(f"config/{file}.yaml", None, message))

    supported = config.get("system.languages.supported")
    if supported is not None and not isinstance(supported, list):
        bad("system", "languages.supported: must be a list of language codes, e.g. [kk, ru, en]")
    for code in supported or [] if isinstance(supported, list) else []:
        if not isinstance(code, str) or not code.replace("-", "").isalnum():
            bad("system", f"languages.supported: {code!r} is not a language code (use e.g. kk, ru, en)")
    tz = config.get("system.timezone") or config.get("qalam.timezone")
    if tz:
        from qalam.lang.dates import zone

        try:
            zone(str(tz))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            bad("system", f"timezone: unknown time zone {tz!r} (use an IANA name such as Asia/Almaty)")
    size = config.get("site.summary.size")
    try:
        int(size)
    except (TypeError, ValueError):
        bad("site", f"summary.size: {size!r} is not a number of characters (e.g. 300)")
    order_dir = str(config.get("system.pages.order.dir") or "asc").lower()
    if order_dir not in ("asc", "desc"):
        bad("system", f"pages.order.dir: {order_dir!r} must be asc or desc")
    for key in ("site.base_url", "qalam.site_url"):
        value = str(config.get(key) or "").strip()
        if value and not _http_base(value):
            file, name = key.split(".", 1)
            bad(file, f"{name}: {value!r} is not an http(s) address (write e.g. https://example.kz)")
    size = config.get("qalam.max_page_bytes")
    if size not in (None, ""):
        try:
            parse_size(size)
        except ValueError:
            bad("qalam", f"max_page_bytes: {size!r} is not a size (write e.g. 4MB or 4194304)")
    for key in ("site.redirects", "site.routes"):
        value = config.get(key)
        if value is not None and not isinstance(value, dict):
            bad("site", f"{key.split('.', 1)[1]}: must be a mapping of old path to new path")
        elif isinstance(value, dict):
            for old, new in value.items():
                for what, path in (("path", old), ("target", new)):
                    text = str(path)
                    if what == "target" and re.match(r"^[a-z][a-z0-9+.-]*://", text, re.I):
                        continue  # another site, written by the site's owner
                    problem = route_problem(text.split("[", 1)[0].strip()) if text.strip() else "is empty"
                    if problem:
                        bad("site", f"{key.split('.', 1)[1]}: {what} {text!r} {problem}; it is ignored "
                                    "(write a path of this site without '.' or '..' segments)")
    aliases = {"home.alias": config.get("system.home.alias")}
    home_aliases = config.get("system.home.aliases")
    if isinstance(home_aliases, dict):
        aliases.update({f"home.aliases.{k}": v for k, v in home_aliases.items()})
    for key, value in aliases.items():
        if value not in (None, "") and (problem := route_problem("/" + str(value).strip("/"))):
            bad("system", f"{key}: {value!r} {problem}; /home is used instead")
    return out
