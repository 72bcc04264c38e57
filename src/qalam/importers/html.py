"""Saved HTML article pages -> :class:`ImportedArticle`.

* The main text is found by trafilatura (it drops menus, sidebars, footers, share blocks);
  before that, ``<figcaption>`` becomes a paragraph (trafilatura would drop captions, and
  with them photo credits) and an embedded video ``<iframe>`` becomes a link to it.
* Metadata: title, author, description, categories and tags from trafilatura's metadata
  reader; the publication time with its time of day and offset from
  ``article:published_time``, JSON-LD ``datePublished``, ``itemprop=datePublished`` or
  ``<time datetime>`` (trafilatura's own date has no time); the old URL from
  ``<link rel=canonical>`` or ``og:url``; the lead image from ``og:image``.
* The text is sanitised with nh3 and converted to Markdown block by block, keeping as
  HTML what Markdown cannot show the same way (:mod:`.markup`).
* Images: a relative ``src`` is looked up on disk relative to the HTML file, an absolute
  one by its file name beside the HTML file and in ``<name>_files/`` (what browsers make
  with "Save page as").  Found images are copied into the page folder; files outside the
  HTML file's folder are never read, and only real JPEG/PNG/GIF/WebP/AVIF files are copied.
  An image that is not on disk keeps its remote address and the report says so.

Nothing here touches the network: trafilatura only reads the string it is given.
"""

from __future__ import annotations

import copy
import json
import re
import urllib.parse
from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

from qalam.lang.dateparse import find_dates

from .base import ImageRef, ImportedArticle, attach_image, ImportSession, image_kind, safe_media_name, sha256_hex
from .markup import MEDIA, fragment_to_html, html_to_markdown, parse_fragment, sanitize_html
from .source import MAX_ARTICLE_BYTES, ImportProblem, decode_text, read_bytes
from .text import find_dateline, related_candidate

__all__ = ["read_html_file", "HTML_SUFFIXES", "take_dateline"]

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_VIDEO_HOSTS = ("youtube.com", "youtu.be", "vimeo.com", "rutube.ru", "vk.com", "facebook.com", "ok.ru")


def _decode(data: bytes, name: str, encoding: str) -> tuple[str, list[str]]:
    if encoding == "auto":
        m = _CHARSET.search(data[:4096])
        if m and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
            declared = m.group(1).decode("ascii").lower()
            declared = {"windows-1251": "cp1251", "win-1251": "cp1251", "utf8": "utf-8"}.get(declared, declared)
            try:
                return data.decode(declared), []
            except (LookupError, UnicodeDecodeError):
                decoded = decode_text(data, name)
                return decoded.text, [f"the page says charset={m.group(1).decode('ascii')} but is not; "
                                      f"read as {decoded.encoding}", *decoded.warnings]
    decoded = decode_text(data, name, encoding)
    return decoded.text, decoded.warnings


def _meta(tree, *names: str) -> str:
    for name in names:
        for attr in ("property", "name", "itemprop"):
            for el in tree.xpath(f"//meta[@{attr}=$n]", n=name):
                value = (el.get("content") or "").strip()
                if value:
                    return value
    return ""


def _json_ld(tree) -> list[dict]:
    out = []
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except (ValueError, TypeError):
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                out.append(item)
                if "@graph" in item:
                    stack.append(item["@graph"])
    return out


def _published(tree, tz) -> tuple:
    """(aware datetime, has_time, text) of the publication time written in the page, or (None, True, '')."""
    candidates = [
        _meta(tree, "article:published_time", "datePublished", "og:published_time", "pubdate", "publishdate",
              "date", "DC.date.issued", "dcterms.created"),
    ]
    for item in _json_ld(tree):
        if item.get("datePublished"):
            candidates.append(str(item["datePublished"]))
    candidates.extend(el.get("datetime") or "" for el in tree.xpath("//*[@itemprop='datePublished']"))
    candidates.extend(el.get("datetime") or "" for el in tree.xpath("//time[@datetime]"))
    for text in candidates:
        text = (text or "").strip()
        if not text:
            continue
        found = find_dates(text, tz)
        if found:
            return found[0].value, found[0].has_time, text
    return None, True, ""


def _prepare(tree) -> None:
    """Captions become paragraphs; embedded videos become links (both survive extraction)."""
    for cap in tree.xpath("//figcaption"):
        cap.tag = "p"
    for frame in tree.xpath("//iframe[@src]"):
        src = frame.get("src") or ""
        if src.startswith("//"):
            src = "https:" + src
        host = urllib.parse.urlsplit(src).netloc.lower()
        p = etree.Element("p")
        if any(host == h or host.endswith("." + h) for h in _VIDEO_HOSTS):
            a = etree.SubElement(p, "a", href=src)
            a.text = src
            frame.getparent().replace(frame, p)


def _images_dir_candidates(path: Path, ref: str) -> list[Path]:
    parts = urllib.parse.urlsplit(ref)
    base = path.parent
    out: list[Path] = []
    if not parts.scheme and not parts.netloc:
        rel = urllib.parse.unquote(parts.path)
        if rel.startswith("/"):
            rel = rel.lstrip("/")
            out.append(base / rel)  # a site-absolute path, saved beside the page
        else:
            out.append(base / rel)
    name = urllib.parse.unquote(parts.path.rsplit("/", 1)[-1])
    if name:
        out.extend([base / name, base / f"{path.stem}_files" / name, base / "images" / name])
    return out


def _local_image(path: Path, ref: str) -> tuple[Path | None, str | None]:
    base = path.parent.resolve()
    for cand in _images_dir_candidates(path, ref):
        try:
            resolved = cand.resolve()
            resolved.relative_to(base)
        except (ValueError, OSError):
            continue
        if resolved.is_file():
            if resolved.stat().st_size > 50 * 1024 * 1024:
                return None, f"image {ref} is larger than 50 MB; not copied"
            if image_kind(resolved) is None:
                return None, f"{resolved.name} (for {ref}) is not a JPEG/PNG/GIF/WebP/AVIF image; not copied"
            return resolved, None
    return None, None


def read_html_file(
    path: Path,
    session: ImportSession,
    *,
    source_name: str | None = None,
    old_url_base: str | None = None,
    encoding: str = "auto",
    max_bytes: int = MAX_ARTICLE_BYTES,
) -> ImportedArticle:
    """Read one saved HTML article page; :class:`ImportProblem` when it is not one."""
    import trafilatura

    name = source_name or path.name
    data = read_bytes(path, max_bytes, what="HTML page")
    if session.already_imported(sha256_hex(data)):  # the writer skips it: no need to read it again
        return ImportedArticle(source_name=name, sha256=sha256_hex(data), title="", blocks=[])
    text, warnings = _decode(data, name, encoding)
    if not re.search(r"<(?:html|body|p|div|article|h1)\b", text[:200000], re.I):
        raise ImportProblem(name, "no HTML in this file (no <html>, <body>, <p> or <div>); "
                                  "import saved article text with `qalam import text`")
    try:
        tree = lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError) as err:
        raise ImportProblem(name, f"cannot parse the HTML: {err}") from None

    meta = trafilatura.extract_metadata(copy.deepcopy(tree))
    work = copy.deepcopy(tree)
    _prepare(work)
    extracted = trafilatura.extract(
        work, output_format="html", include_images=True, include_links=True, include_formatting=True,
        include_tables=True, include_comments=False, favor_recall=True, with_metadata=False, deduplicate=False,
    )
    if not extracted:
        raise ImportProblem(name, "no article text found in the page (trafilatura found no main content)")

    title = (getattr(meta, "title", None) or _meta(tree, "og:title") or "").strip()
    body_root = lxml_html.document_fromstring(extracted).find("body")
    words = " ".join(body_root.text_content().split()) if body_root is not None else ""
    if len(words) < 50:
        raise ImportProblem(name, f"no article text found in the page (only {len(words)} characters of text "
                                  "outside menus and footers)")
    # The headline is in the front matter; drop it from the top of the body.
    first = next((c for c in body_root if isinstance(c.tag, str)), None)
    if first is not None and first.tag in ("h1", "h2") and title and " ".join(first.text_content().split()) == \
            " ".join(title.split()):
        body_root.remove(first)
    if not title and first is not None and first.tag == "h1":
        title = " ".join(first.text_content().split())
        body_root.remove(first)
    if not title:
        raise ImportProblem(name, "no title found (no <title>, og:title or <h1>)")

    inner = (body_root.text or "") + "".join(lxml_html.tostring(c, encoding="unicode") for c in body_root)
    fragment = parse_fragment(sanitize_html(inner))

    images: list[ImageRef] = []
    by_src: dict[str, str] = {}

    def local(src: str) -> str | None:
        """MEDIA + name for an image found on disk (copied), else None."""
        if src in by_src:
            return by_src[src]
        found, problem = _local_image(path, src)
        if problem:
            warnings.append(problem)
        if found is None:
            return None
        by_src[src] = attach_image(images, found, src)
        return by_src[src]

    for img in list(fragment.iter("img")):
        src = (img.get("src") or "").strip()
        if not src:
            _drop(img)
            continue
        got = local(src)
        if got:
            img.set("src", MEDIA + got)
        elif urllib.parse.urlsplit(src).scheme in ("http", "https"):
            warnings.append(f"image not on disk: {src} (left pointing at the old site; save it beside the page "
                            "and import again, or replace it)")
        else:
            # Kept by its file name: put the file into the page folder and it shows.
            safe = safe_media_name(src)
            img.set("src", safe)
            warnings.append(f"image missing: {src} (not found beside {name}); add it to the page folder as {safe}")

    # The lead photo (og:image) is shown by the article template from the front matter; when the
    # body starts with it, it leaves the body, and a caption after it with "Фото: ..." becomes its
    # caption and credit.
    lead: dict[str, str] = {}
    og_image = _meta(tree, "og:image", "twitter:image")
    if og_image:
        got = local(og_image)
        if got:
            lead["file"] = got
            lead.update(_take_lead_from_body(fragment, got))
        else:
            warnings.append(f"lead image not on disk: {og_image}")

    # Paragraph texts: dateline (moved to the front matter) and "we wrote earlier".
    dateline = take_dateline(fragment)
    paragraphs = [p for p in fragment.iter("p")]
    related = []
    for p in paragraphs:
        cand = related_candidate(" ".join(p.text_content().split()))
        if cand:
            links = [a.get("href") for a in p.iter("a") if a.get("href")]
            if links:
                cand["url"] = links[-1]
            related.append(cand)

    conv = html_to_markdown(fragment_to_html(fragment))
    if conv.html_blocks:
        warnings.append(f"{conv.html_blocks} block(s) kept as HTML because Markdown cannot show them the same way "
                        f"({'; '.join(conv.notes[:3])}); check that they look right")
    summary_after = next((i for i, k in enumerate(conv.kinds) if k == "p"), None)

    date, has_time, date_text = _published(tree, session.source_tz)
    if date is None and getattr(meta, "date", None):
        found = find_dates(str(meta.date), session.source_tz)
        if found:
            date, has_time, date_text = found[0].value, False, str(meta.date)
    if date is None:
        warnings.append("no publication date found in the page; add date: 'dd-mm-YYYY HH:MM' to its header")
    elif not has_time:
        warnings.append(f"the page gives only the day of publication ({date_text}); 00:00 is used")

    old_url = (_link(tree, "canonical") or _meta(tree, "og:url") or getattr(meta, "url", None) or "").strip()
    if not old_url and old_url_base:
        old_url = old_url_base.rstrip("/") + "/" + Path(name).with_suffix("").as_posix()
    authors = [a.strip() for a in re.split(r";|\s+и\s+|\s+және\s+", getattr(meta, "author", None) or "") if a.strip()]
    categories = list(getattr(meta, "categories", None) or [])
    section = _meta(tree, "article:section")
    if section and section not in categories:
        categories.append(section)
    tags = list(getattr(meta, "tags", None) or [])
    for el in tree.xpath("//meta[@property='article:tag']"):
        if el.get("content") and el.get("content") not in tags:
            tags.append(el.get("content").strip())

    return ImportedArticle(
        source_name=name,
        sha256=sha256_hex(data),
        title=" ".join(title.split()),
        blocks=list(conv.parts),
        date=date,
        date_text=date_text,
        has_time=has_time,
        old_urls=[old_url] if old_url else [],
        lead_image=lead,
        dateline=dateline,
        related_candidates=related,
        authors=authors,
        categories=categories,
        tags=tags,
        description=(getattr(meta, "description", None) or "").strip(),
        images=images,
        warnings=warnings,
        import_extra={"site_name": getattr(meta, "sitename", None) or ""},
        summary_after=summary_after,
    )


def _link(tree, rel: str) -> str:
    for el in tree.xpath("//link[@href]"):
        if rel in (el.get("rel") or "").lower().split():
            return el.get("href") or ""
    return ""


def _drop(el) -> None:
    """Remove an element but keep the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _text_slots(el):
    """(element, "text" | "tail") of every text node inside ``el``, in reading order."""
    yield el, "text"
    for child in el:
        yield from _text_slots(child)
        yield child, "tail"


def take_dateline(fragment) -> dict[str, str]:
    """Find the dateline at the start of the first or second paragraph and cut it out of the text."""
    for p in list(fragment.iter("p"))[:2]:
        text = " ".join(p.text_content().split())
        found = find_dateline(text)
        if not found:
            continue
        length = int(found.pop("length"))
        remaining = sum(1 for ch in text[:length] if not ch.isspace())
        phase = "cut"
        for el, slot in list(_text_slots(p)):
            value = getattr(el, slot) or ""
            if phase == "cut":
                i = 0
                while i < len(value) and remaining > 0:
                    if not value[i].isspace():
                        remaining -= 1
                    i += 1
                value = value[i:]
                if remaining == 0:
                    phase = "strip"
            if phase == "strip":
                value = value.lstrip(" \t\n\r\u00a0–—-")
                if value:
                    phase = "done"
            setattr(el, slot, value)
            if phase == "done":
                break
        for el in list(p.iterdescendants()):
            if isinstance(el.tag, str) and el.tag != "img" and not el.text_content().strip() and not len(el.xpath(".//img")):
                _drop(el)
        if not p.text_content().strip() and not p.xpath(".//img"):
            _drop(p)
        return found
    return {}


_CREDIT = re.compile(r"^(?P<caption>.*?)[\s.,;–—-]*(?:Фото|Фотосурет|Сурет|Photo|Foto)\s*[:：]\s*(?P<credit>[^.]{2,120})\.?$", re.I)


def _take_lead_from_body(fragment, name: str) -> dict[str, str]:
    """Remove the lead image from the top of the body (and its caption paragraph); its caption and credit."""
    blocks = [c for c in fragment if isinstance(c.tag, str)]
    if not blocks:
        return {}
    first = blocks[0]
    imgs = first.xpath("self::img|.//img")
    if len(imgs) != 1 or imgs[0].get("src") != MEDIA + name or " ".join(first.text_content().split()):
        return {}
    _drop(first)
    out: dict[str, str] = {}
    if imgs[0].get("alt"):
        out["caption"] = " ".join(imgs[0].get("alt").split())
    nxt = blocks[1] if len(blocks) > 1 else None
    if nxt is not None and nxt.tag == "p":
        text = " ".join(nxt.text_content().split())
        m = _CREDIT.match(text)
        if m and len(text) <= 240:
            if m.group("caption").strip():
                out["caption"] = m.group("caption").strip()
            out["credit"] = m.group("credit").strip()
            _drop(nxt)
    return out
