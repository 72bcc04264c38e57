"""WordPress exports (WXR, "Tools → Export" in WordPress) -> :class:`ImportedArticle` list.

What is read, per ``<item>``:

* posts (``wp:post_type`` ``post``) go to the run's section as ``item`` pages; pages
  (``page``) go to the top level of ``pages/`` as ``default`` pages (``--pages-section``
  puts them elsewhere); other types (attachments, menu items, revisions, custom types) are
  not pages — attachments are used for featured images — and are counted in the report;
* title, content (``content:encoded``), excerpt (-> ``metadata.description``), author
  (display name from ``wp:author``), categories and tags, slug (``wp:post_name``);
* status: ``publish`` -> published; ``future`` -> published at its date (``publish_date``,
  so it appears on time); ``draft``, ``pending``, ``private`` -> ``published: false``;
  ``trash`` and ``auto-draft`` are skipped;
* dates: ``wp:post_date_gmt`` (UTC) when set, otherwise ``wp:post_date`` in ``--timezone``;
* the language from Polylang's ``language`` taxonomy, when the export has it;
* the featured image (``_thumbnail_id`` -> the attachment) and images in the content,
  when the files are on disk: in ``--uploads DIR`` (a copy of ``wp-content/uploads``), or
  ``uploads/`` or ``wp-content/uploads/`` beside the export;
* old URLs: ``<link>`` (the permalink) is redirected; the ``?p=ID`` guid cannot be (query
  strings are not routes) and is kept in ``import.guid``.

The content goes through WordPress's paragraph rules (blank line = paragraph, newline =
line break), its ``[caption]`` and ``[embed]`` shortcodes are turned into HTML, other
shortcodes stay as text with a warning, then nh3 sanitises and :mod:`.markup` converts to
Markdown where that is faithful.

Safety: the XML parser loads no DTD, expands no entities and never touches the network; an
export that declares entities (which WordPress never writes) is refused.
"""

from __future__ import annotations

import html as html_mod
import re
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from lxml import etree

from .base import ImageRef, ImportedArticle, attach_image, ImportSession, image_kind, sha256_hex
from .markup import MEDIA, fragment_to_html, html_to_markdown, parse_fragment, sanitize_html
from .source import ImportProblem, read_bytes
from .html import take_dateline
from .text import related_candidate

__all__ = ["read_wordpress_export", "WordPressExport", "wpautop", "MAX_EXPORT_BYTES"]

MAX_EXPORT_BYTES = 512 * 1024 * 1024
_NS_CONTENT = "http://purl.org/rss/1.0/modules/content/"
_NS_DC = "http://purl.org/dc/elements/1.1/"
_BLOCK_TAGS = ("table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form|map|area|"
               "blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section|article|aside|hgroup|header|"
               "footer|nav|figure|figcaption|details|menu|summary")
_BLOCK_OPEN = re.compile(rf"(<(?:{_BLOCK_TAGS})[\s/>])", re.I)
_BLOCK_CLOSE = re.compile(rf"(</(?:{_BLOCK_TAGS})>)", re.I)
_STARTS_BLOCK = re.compile(rf"^\s*</?(?:{_BLOCK_TAGS})[\s/>]", re.I)
_PRE = re.compile(r"<pre[\s>].*?</pre>", re.I | re.S)
_CAPTION = re.compile(r"\[caption[^\]]*\](.*?)\[/caption\]", re.I | re.S)
_EMBED = re.compile(r"\[embed[^\]]*\](.*?)\[/embed\]", re.I | re.S)
_SHORTCODE = re.compile(r"\[(/?)([a-z][a-z0-9_-]*)(?:\s[^\]]*)?\]", re.I)
_SIZE_SUFFIX = re.compile(r"-\d+x\d+(?=\.[A-Za-z0-9]+$)")


def wpautop(content: str) -> str:
    """WordPress's paragraph rules: blank lines separate paragraphs, a single newline is <br>."""
    if not content.strip():
        return ""
    pres: list[str] = []

    def keep(m: re.Match) -> str:
        pres.append(m.group(0))
        return f"\n\n<pre>QALAMPRE{len(pres) - 1}</pre>\n\n"

    text = _PRE.sub(keep, content.replace("\r\n", "\n").replace("\r", "\n"))
    text = _BLOCK_OPEN.sub(r"\n\n\1", text)
    text = _BLOCK_CLOSE.sub(r"\1\n\n", text)
    out = []
    for chunk in re.split(r"\n\s*\n", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        if _STARTS_BLOCK.match(chunk):
            out.append(chunk)
        else:
            out.append("<p>" + re.sub(r"\s*\n\s*", "<br />\n", chunk) + "</p>")
    joined = "\n".join(out)
    return re.sub(r"<pre>QALAMPRE(\d+)</pre>", lambda m: pres[int(m.group(1))], joined)


def _shortcodes(content: str, warnings: list[str]) -> str:
    def caption(m: re.Match) -> str:
        inner = m.group(1).strip()
        img = re.match(r"^\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)$", inner, re.S | re.I)
        if not img:
            return inner
        return f"<figure>{img.group(1)}<figcaption>{img.group(2).strip()}</figcaption></figure>"

    content = _CAPTION.sub(caption, content)
    content = _EMBED.sub(lambda m: f'<p><a href="{html_mod.escape(m.group(1).strip())}">{html_mod.escape(m.group(1).strip())}</a></p>', content)
    left = sorted({m.group(2).lower() for m in _SHORTCODE.finditer(content) if not m.group(1)})
    known_text = {"x", "i", "b", "1", "2", "3"}
    left = [s for s in left if s not in known_text and len(s) > 1]
    if left:
        warnings.append("WordPress shortcode(s) kept as text: " + ", ".join(f"[{s}]" for s in left) +
                        " (a plugin made them; replace them by hand)")
    return content


def _wp(tag: str, ns: str) -> str:
    return f"{{{ns}}}{tag}"


@dataclass
class _Item:
    el: etree._Element
    ns: str

    def get(self, tag: str, default: str = "") -> str:
        child = self.el.find(_wp(tag, self.ns))
        return (child.text or "").strip() if child is not None and child.text else default

    def text(self, tag: str) -> str:
        child = self.el.find(tag)
        return (child.text or "") if child is not None and child.text else ""

    def meta(self) -> dict[str, str]:
        out = {}
        for pm in self.el.findall(_wp("postmeta", self.ns)):
            k = pm.find(_wp("meta_key", self.ns))
            v = pm.find(_wp("meta_value", self.ns))
            if k is not None and k.text:
                out[k.text.strip()] = (v.text or "").strip() if v is not None else ""
        return out


@dataclass
class WordPressExport:
    path: Path
    site_url: str = ""
    authors: dict[str, str] = field(default_factory=dict)  # login -> display name
    items: list[_Item] = field(default_factory=list)
    attachments: dict[str, _Item] = field(default_factory=dict)  # post_id -> attachment
    ns: str = ""
    sha: str = ""


def _parse(path: Path, name: str, max_bytes: int) -> WordPressExport:
    data = read_bytes(path, max_bytes, what="WordPress export")
    head = data[:4096].lstrip(b"\xef\xbb\xbf")
    if b"\x00" in data[:65536] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportProblem(name, "binary data, not an XML export; export again with WordPress's Tools → Export")
    root_at = min((i for i in (data.find(b"<rss"), data.find(b"<channel")) if i >= 0), default=len(data))
    if re.search(rb"<!ENTITY", data[:root_at]):
        raise ImportProblem(name, "the export declares XML entities (<!ENTITY>), which WordPress never writes; "
                                  "refusing to read it (a file made to attack XML readers looks like this)")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        line = err.position[0] if err.position else None
        raise ImportProblem(name, f"not well-formed XML: {err.msg}; export again, or fix the file at that line",
                            line=line) from None
    ns = next((uri for uri in (root.nsmap or {}).values()
               if uri and re.fullmatch(r"https?://wordpress\.org/export/\d+\.\d+/?", uri)), "")
    channel = root.find("channel")
    if root.tag != "rss" or channel is None or not ns:
        raise ImportProblem(name, "not a WordPress export (no <rss><channel> with the wp: namespace); "
                                  "make one with Tools → Export in WordPress")
    export = WordPressExport(path, ns=ns, sha=sha256_hex(data))
    export.site_url = (channel.findtext(_wp("base_blog_url", ns)) or channel.findtext("link") or "").strip()
    for author in channel.findall(_wp("author", ns)):
        login = (author.findtext(_wp("author_login", ns)) or "").strip()
        display = (author.findtext(_wp("author_display_name", ns)) or "").strip()
        if login:
            export.authors[login] = display or login
    for el in channel.findall("item"):
        item = _Item(el, ns)
        if item.get("post_type") == "attachment":
            export.attachments[item.get("post_id")] = item
        export.items.append(item)
    return export


def _uploads_dirs(export_path: Path, uploads: Path | None) -> list[Path]:
    out = [uploads] if uploads else []
    out += [export_path.parent / "uploads", export_path.parent / "wp-content" / "uploads", export_path.parent]
    return [p for p in out if p and p.is_dir()]


def _find_upload(url: str, dirs: list[Path], attached: str = "") -> Path | None:
    """The file on disk for an uploads URL (or ``_wp_attached_file`` path); None when absent."""
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path) if url else ""
    rels = []
    if attached:
        rels.append(attached)
    if "/uploads/" in path:
        rels.append(path.split("/uploads/", 1)[1])
    if path:
        rels.append(path.rsplit("/", 1)[-1])
    rels += [_SIZE_SUFFIX.sub("", r) for r in rels if _SIZE_SUFFIX.search(r)]  # the full-size original
    for base in dirs:
        root = base.resolve()
        for rel in rels:
            cand = (base / rel.lstrip("/")).resolve()
            try:
                cand.relative_to(root)
            except ValueError:
                continue
            if cand.is_file() and image_kind(cand) and cand.stat().st_size <= 50 * 1024 * 1024:
                return cand
    return None


def _wp_date(item: _Item, tz) -> tuple[datetime | None, str]:
    gmt = item.get("post_date_gmt")
    local = item.get("post_date")
    if gmt and not gmt.startswith("0000"):
        try:
            return datetime.strptime(gmt[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc), local or gmt
        except ValueError:
            pass
    if local and not local.startswith("0000"):
        try:
            return datetime.strptime(local[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=tz), local
        except ValueError:
            pass
    return None, ""


def read_wordpress_export(
    path: Path,
    session: ImportSession,
    *,
    source_name: str | None = None,
    uploads: Path | None = None,
    pages_section: str = "",
    max_bytes: int = MAX_EXPORT_BYTES,
) -> list[ImportedArticle]:
    """Every post and page of the export as an article (see the module doc); problems -> ImportProblem."""
    name = source_name or path.name
    export = _parse(path, name, max_bytes)
    dirs = _uploads_dirs(path, uploads)
    out: list[ImportedArticle] = []
    not_pages: dict[str, int] = {}
    for item in export.items:
        post_type = item.get("post_type") or "post"
        post_id = item.get("post_id")
        src = f"{name}#{post_type}-{post_id}"
        if post_type not in ("post", "page"):
            not_pages[post_type] = not_pages.get(post_type, 0) + 1
            continue
        status = item.get("status") or "publish"
        if status in ("trash", "auto-draft", "inherit"):
            session.skip(src, f"WordPress status '{status}': not imported")
            continue
        article = _article(item, export, session, src, dirs, pages_section)
        if article is not None:
            out.append(article)
    if not_pages:
        counts = ", ".join(f"{n} {t}" for t, n in sorted(not_pages.items()))
        session.report.notes.append(f"{name}: not pages, so not imported: {counts} "
                                    "(attachments are used as featured images)")
    if any(a.import_extra.get("guid", "").find("?") >= 0 for a in out):
        session.report.notes.append(f"{name}: WordPress '?p=ID' links cannot be redirected (site.redirects matches "
                                    "paths, not query strings); the permalinks are redirected instead")
    return out


def _article(item: _Item, export: WordPressExport, session: ImportSession, src: str, dirs: list[Path],
             pages_section: str) -> ImportedArticle | None:
    warnings: list[str] = []
    post_type = item.get("post_type") or "post"
    status = item.get("status") or "publish"
    title = html_mod.unescape(item.text("title")).strip()
    raw = item.text(_wp("encoded", _NS_CONTENT))
    content = wpautop(_shortcodes(raw, warnings))
    fragment = parse_fragment(sanitize_html(content))

    images: list[ImageRef] = []
    by_url: dict[str, str] = {}

    def local(url: str, attached: str = "") -> str | None:
        if url in by_url:
            return by_url[url]
        found = _find_upload(url, dirs, attached)
        if found is None:
            return None
        by_url[url] = attach_image(images, found, url)  # a resized copy's URL leads to its original
        return by_url[url]

    for img in list(fragment.iter("img")):
        url = img.get("src") or ""
        got = local(url) if url else None
        if got:
            img.set("src", MEDIA + got)
        elif url:
            warnings.append(f"image not on disk: {url} (left pointing at the old site; give the uploads folder "
                            "with --uploads to copy it)")
    dateline = take_dateline(fragment)
    conv = html_to_markdown(fragment_to_html(fragment))
    if conv.html_blocks:
        warnings.append(f"{conv.html_blocks} block(s) kept as HTML because Markdown cannot show them the same way "
                        f"({'; '.join(conv.notes[:3])}); check that they look right")

    lead: dict[str, str] = {}
    meta = item.meta()
    thumb = meta.get("_thumbnail_id")
    if thumb:
        att = export.attachments.get(thumb)
        if att is None:
            warnings.append(f"featured image (attachment {thumb}) is not in the export")
        else:
            url = att.get("attachment_url")
            got = local(url, att.meta().get("_wp_attached_file", ""))
            if got:
                lead["file"] = got
                caption = html_mod.unescape(re.sub(r"<[^>]+>", "", att.text(_wp("encoded", _excerpt_ns(item))))).strip()
                if caption:
                    lead["caption"] = caption
            else:
                warnings.append(f"featured image not on disk: {url} (give the uploads folder with --uploads)")

    date, date_text = _wp_date(item, session.source_tz)
    published = status in ("publish", "future")
    publish_date = date if status == "future" else None
    if status in ("draft", "pending", "private"):
        warnings.append(f"imported unpublished (published: false): its WordPress status is '{status}'")
    if status == "future":
        warnings.append("scheduled in WordPress: it appears on the site at its publish_date")

    categories, tags, lang = [], [], None
    for cat in item.el.findall("category"):
        domain, value = cat.get("domain"), html_mod.unescape((cat.text or "").strip())
        if not value:
            continue
        if domain == "category":
            if value.lower() not in ("uncategorized", "без рубрики", "санатсыз"):
                categories.append(value)
        elif domain == "post_tag":
            tags.append(value)
        elif domain == "language":
            lang = (cat.get("nicename") or value).split("-")[0].lower()
    if lang and session.languages.enabled and lang not in session.languages.supported:
        lang = None

    login = html_mod.unescape(item.text(_wp("creator", _NS_DC))).strip()
    authors = [export.authors.get(login, login)] if login else []
    excerpt = html_mod.unescape(re.sub(r"<[^>]+>", " ", item.text(_wp("encoded", _excerpt_ns(item)))))
    link = item.text("link").strip()
    guid = item.text("guid").strip()
    slug = urllib.parse.unquote(item.get("post_name")) or None

    identity = f"wordpress:{guid or export.site_url + '?p=' + item.get('post_id')}"
    texts = [" ".join(p.text_content().split()) for p in fragment.iter("p")]
    related = [c for c in (related_candidate(t) for t in texts) if c]
    return ImportedArticle(
        source_name=src,
        sha256=sha256_hex(etree.tostring(item.el, encoding="utf-8")),
        identity=identity,
        title=title or "",
        blocks=list(conv.parts),
        lang=lang,
        date=date,
        date_text=date_text,
        old_urls=[link] if link and urllib.parse.urlsplit(link).scheme in ("http", "https") else [],
        template="item" if post_type == "post" else "default",
        dated_folder=post_type == "post",
        section=None if post_type == "post" else pages_section,
        slug=slug,
        lead_image=lead,
        dateline=dateline,
        related_candidates=related,
        authors=authors,
        categories=categories,
        tags=tags,
        description=" ".join(excerpt.split()),
        published=published,
        publish_date=publish_date,
        images=images,
        warnings=warnings,
        import_extra={"id": identity, "guid": guid,
                      "wordpress": {"post_id": int(item.get("post_id") or 0), "type": post_type, "status": status}},
        summary_after=next((i for i, k in enumerate(conv.kinds) if k == "p"), None) if post_type == "post" else None,
    )


def _excerpt_ns(item: _Item) -> str:
    """``excerpt:encoded``'s namespace follows the export version (…/export/1.2/excerpt/)."""
    return item.ns.rstrip("/") + "/excerpt/"
