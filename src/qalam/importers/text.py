"""Saved article text (what a scraper kept of a news page) -> :class:`ImportedArticle`.

A saved page looks like this (the reference is BAQ.KZ's page of 6 July 2020)::

    Headline
    6 Шілде 2020, 21:35              <- date and time (Kazakh/Russian month, or numeric)
    2074                             <- views
    Бөлісу:                          <- share label (furniture)
    Headline                         <- repeated by the share block
    PHOTO                            <- the lead photo's badge (furniture)
    Фото: Бауыржан ЖУАСБАЕВ          <- the lead photo's credit
    Нұр-Сұлтан, BAQ.KZ тілшісі. ...  <- dateline, then the body
    3945C2FD-....JPEG                <- an inline image, by file name
    ... бұған дейін ... жазған болатынбыз.   <- "we wrote earlier"
    Өзгелердің жаңалығы              <- other outlets' block (furniture, ends the article)

The first line that is not furniture, a date, a number or a URL is the **headline**.  The
lines after it are **header** lines as long as they are a date line, a view count, a photo
credit, an author/category/tag line, a URL, an image, furniture or the headline again; the
first other line starts the **body** (short lines before the date line — a subtitle —
belong to the body).  In the body every line is a paragraph (scrapers write one line per
``<p>``), except that a line starting with a lower-case letter continues the one before
(hard-wrapped text).  Paragraphs are kept exactly as written (escaped so that Markdown
shows them as they are); image lines become Markdown images in their place; furniture is
dropped; an "end" label (other outlets' news, comments) drops the rest.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from qalam.lang.dateparse import DateMatch, find_dates

from .base import IMAGE_EXTENSIONS, ImageRef, ImportedArticle, ImportSession, image_kind, safe_media_name, sha256_hex
from .furniture import Furniture
from .markup import escape_markdown
from .source import MAX_ARTICLE_BYTES, ImportProblem, decode_text, read_bytes

__all__ = ["ParsedText", "parse_article_text", "read_text_file", "find_dateline", "related_candidate"]

_CAP = "A-ZА-ЯЁӘҒҚҢӨҰҮҺІ"
_LOW = "a-zа-яёәғқңөұүһі"

_URL_LINE = re.compile(
    r"^(?:(?:URL|Source|Original|Link|Источник|Ссылка|Дереккөз|Сілтеме|Түпнұсқа)\s*[:：]\s*)?(https?://\S+)$", re.I
)
_VIEWS_LINE = re.compile(
    r"^(?:(?:👁\ufe0f?|Просмотр(?:ов|ы)?|Қаралым(?:ы|дар)?|Қаралды|Оқылды|Views?)\s*[:：]?\s*)?"
    r"(?P<n>\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d{1,9})"
    r"(?:\s*(?:просмотр\w*|views?|рет\s+(?:оқылды|қаралды)|рет|қаралым\w*))?$",
    re.I,
)
_CREDIT_LINE = re.compile(r"^(?:Фото|Фотосурет|Сурет|Photo|Foto|Фото автора)\s*[:：]\s*(?P<credit>\S.{0,119})$", re.I)
_AUTHOR_LINE = re.compile(r"^(?:Автор|Авторы|Авторлар|Author|Authors)\s*[:：]\s*(?P<v>\S.{0,119})$", re.I)
_TAGS_LINE = re.compile(r"^(?:Тегтер|Тег|Теги|Тэги|Tags|Кілт сөздер|Ключевые слова)\s*[:：]\s*(?P<v>\S.*)$", re.I)
_CATEGORY_LINE = re.compile(r"^(?:Рубрика|Айдар|Категория|Санат|Category|Раздел|Бөлім)\s*[:：]\s*(?P<v>\S.{0,80})$", re.I)
_READ_ALSO = re.compile(
    r"^(?:Тағы оқыңыз|Оқи отырыңыз|Оқыңыз|Читайте также|Читайте тоже|Читайте ещё|Читайте еще|Также читайте|"
    r"Read also|See also|Read more)\s*[:：]?\s*(?P<title>.*)$",
    re.I,
)
_EXT = "|".join(IMAGE_EXTENSIONS)
_IMAGE_LINE = re.compile(rf"^(?P<ref>(?:https?://\S+/)?[\w\-.~%()]*[\w\-)]\.(?:{_EXT})(?:\?\S*)?)$", re.I)

_CITY = rf"[{_CAP}][{_CAP}{_LOW}]+(?:[-–‑][{_CAP}{_LOW}]+)*(?: [{_CAP}][{_CAP}{_LOW}\-]+)?"
_AGENCY = rf"[{_CAP}«\"“][\w.\-»\"”]*(?: [{_CAP}«\"“0-9][\w.\-»\"”]*){{0,3}}"
_WIRE = rf"(?:[{_CAP}]{{2,}}(?:\.[A-Z]{{2,}})?|[\w\-]+\.(?:kz|ru|com|net|org|info|news)|[{_CAP}][{_LOW}]+[{_CAP}][\w]*)"
_DATELINES = [
    # Нұр-Сұлтан, BAQ.KZ тілшісі.   Алматы. Kazinform тілшісі хабарлайды.
    re.compile(rf"^(?P<city>{_CITY})[,.] (?P<agency>{_AGENCY}) (?:тілшісі|тілшілері)(?: хабарлайды)?\.", re.U),
    re.compile(rf"^(?P<city>{_CITY})[,.] (?P<agency>{_AGENCY}) хабарлайды\.", re.U),
    # Нур-Султан, корреспондент BAQ.KZ.   Алматы. Собкор «Казправды».
    re.compile(rf"^(?P<city>{_CITY})[,.] (?:корреспондент|собкор|собственный корреспондент) (?P<agency>{_AGENCY})\.", re.U | re.I),
    # АСТАНА. 6 июля. КАЗИНФОРМ –    Нур-Султан. КазТАГ —
    re.compile(rf"^(?P<city>{_CITY})[.,] (?:\d{{1,2}} [{_LOW}]+\.? )?(?P<agency>{_WIRE})(?: [-–—]|\.)(?= )", re.U),
    # Алматы, ТАСС.   Нур-Султан, BAQ.KZ.
    re.compile(rf"^(?P<city>{_CITY}), (?P<agency>{_WIRE})\.(?= )", re.U),
]
_EARLIER = [
    # Kazakh: "... бұған дейін X туралы жазған болатынбыз"
    ("kk", re.compile(r"(?:бұған дейін|осыған дейін|бұрын|Еске сала кетейік|Еске салайық)\b.*?"
                      r"(?:жазған|хабарлаған|айтқан|жариялаған)\s+(?:болатынбыз|едік|болатын|еді)", re.I),
     re.compile(r"(?:бұған дейін|осыған дейін|бұрын)\s+(?:біз\s+)?(?P<topic>.+?)\s+(?:туралы|жайында|жөнінде)\s+"
                r"(?:жазған|хабарлаған|айтқан|жариялаған)", re.I)),
    # Russian: "Ранее мы писали, что X", "Напомним, ранее сообщалось о X"
    ("ru", re.compile(r"(?:Ранее|Напомним|Как сообщал|Как писал|Мы писали|Мы уже писали|Об этом мы)\b.*?"
                      r"(?:писали|сообщал|сообщали|сообщалось|рассказывали|писал)", re.I),
     re.compile(r"(?:писали|сообщали|сообщалось|рассказывали|писал)\s*,?\s+(?:о том,?\s+)?(?:что\s+|как\s+|об?\s+|про\s+)?"
                r"(?P<topic>.+?)[.!…]*$", re.I)),
    ("en", re.compile(r"(?:Earlier|Previously|As we reported|We reported|We wrote)\b.*?(?:wrote|reported)", re.I),
     re.compile(r"(?:wrote|reported)\s+(?:earlier\s+)?(?:that\s+|about\s+|on\s+)?(?P<topic>.+?)[.!]*$", re.I)),
]
_SENTENCES = re.compile(rf"(?<=[.!?…])\s+(?=[{_CAP}«\"“])")


def find_dateline(paragraph: str) -> dict[str, str] | None:
    """``{city, agency, text, length}`` when the paragraph starts with a dateline.

    ``text`` is the dateline as written ("Нұр-Сұлтан, BAQ.KZ тілшісі."); ``length`` is how many
    characters of the paragraph it takes, with the dash and spaces after it.
    """
    for pattern in _DATELINES:
        m = pattern.match(paragraph)
        if m:
            text = m.group(0).strip().rstrip("–—-").strip()
            rest = re.match(r"[\s–—-]*", paragraph[m.end():])
            return {"city": m.group("city").strip(), "agency": m.group("agency").strip(), "text": text,
                    "length": str(m.end() + rest.end())}
    return None


def related_candidate(paragraph: str) -> dict[str, str] | None:
    """A "we wrote earlier" sentence: ``{text, topic?}`` (the topic is what to look the article up by)."""
    for sentence in _SENTENCES.split(paragraph):
        for _lang, trigger, topic_re in _EARLIER:
            if trigger.search(sentence):
                cand = {"text": sentence.strip()}
                m = topic_re.search(sentence)
                if m and 3 <= len(m.group("topic")) <= 200:
                    cand["topic"] = m.group("topic").strip().rstrip(".!…")
                return cand
    return None


@dataclass
class ParsedText:
    title: str = ""
    date: DateMatch | None = None
    views: int | None = None
    photo_credit: str = ""
    lead_image: str = ""  # an image line before the body
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    old_url: str = ""
    blocks: list[tuple[str, str]] = field(default_factory=list)  # ("text" | "image", content)
    dateline: dict[str, str] | None = None
    related: list[dict[str, str]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # furniture lines, for the report
    cut_after: str = ""  # the end label that cut the rest
    cut_lines: int = 0


def _date_line(line: str, tz) -> tuple[DateMatch, int | None] | None:
    """A line that is a date (and maybe the view count): (date, views)."""
    matches = find_dates(line, tz)
    if len(matches) != 1:
        return None
    m = matches[0]
    rest = (line[: m.start] + " " + line[m.end:]).strip(" \t,|·•—–-/")
    rest = re.sub(r"^(?:Жарияланды|Жарияланған|Опубликовано|Дата публикации|Published|Updated|Жаңартылды|"
                  r"Обновлено|Дата|Күні)\s*[:：]?\s*", "", rest, flags=re.I).strip(" \t,|·•—–-/")
    if not rest:
        return m, None
    views = _VIEWS_LINE.match(rest)
    if views:
        return m, _int(views.group("n"))
    return None


def _int(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _split_list(value: str) -> list[str]:
    return [v.strip().lstrip("#").strip() for v in re.split(r"[,;]|\s#", value) if v.strip().lstrip("#").strip()]


def parse_article_text(text: str, *, furniture: Furniture, tz=None) -> ParsedText:
    """Split saved article text into headline, metadata and body blocks (see the module doc)."""
    out = ParsedText()
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [ln.replace("\ufeff", "") for ln in lines]
    n = len(lines)
    i = 0

    def meta(line: str, *, in_header: bool) -> bool:
        """Consume a metadata line; True when it was one."""
        s = line.strip()
        m = _URL_LINE.match(s) if in_header else None  # in the body, a URL line is text (but see the end)
        if m and not _IMAGE_LINE.match(s):
            if not out.old_url:
                out.old_url = m.group(1)
            return True
        if in_header:
            if out.title and _same(s, out.title):
                return True
            if out.date is None:
                dl = _date_line(s, tz)
                if dl:
                    out.date, views = dl
                    if views is not None and out.views is None:
                        out.views = views
                    return True
            if out.views is None:
                v = _VIEWS_LINE.match(s)
                if v:
                    out.views = _int(v.group("n"))
                    return True
            c = _CREDIT_LINE.match(s)
            if c and not out.photo_credit:
                out.photo_credit = c.group("credit").strip()
                return True
            if _IMAGE_LINE.match(s) and not out.lead_image:
                out.lead_image = s
                return True
        for pattern, target in ((_AUTHOR_LINE, out.authors), (_CATEGORY_LINE, out.categories), (_TAGS_LINE, out.tags)):
            m = pattern.match(s)
            if m:
                target.extend(_split_list(m.group("v")) if target is not out.authors else [m.group("v").strip()])
                return True
        return False

    # 1. Headline: the first line that is content.
    while i < n:
        s = lines[i].strip()
        i += 1
        if not s:
            continue
        rule = furniture.match(s)
        if rule is not None:
            out.dropped.append(s)
            continue
        if meta(s, in_header=True):
            continue
        out.title = s
        break

    # 2. Header lines.
    pending: list[str] = []
    non_blank = 0
    while i < n:
        s = lines[i].strip()
        if not s:
            i += 1
            continue
        non_blank += 1
        rule = furniture.match(s)
        if rule is not None:
            out.dropped.append(s)
            i += 1
            continue
        if meta(s, in_header=True):
            i += 1
            continue
        if out.date is None and len(s) < 160 and non_blank <= 12:
            pending.append(s)  # a subtitle, perhaps: kept for the body if a date follows
            i += 1
            continue
        break
    # Short lines held back while looking for the date are the body's first lines (a subtitle, or
    # simply the body when no date came).
    body_lines = pending + lines[i:]

    # 3. Body.
    blocks: list[tuple[str, str]] = []
    last_blank = True
    for idx, raw in enumerate(body_lines):
        s = raw.strip()
        if not s:
            last_blank = True
            continue
        rule = furniture.match(s)
        if rule is not None:
            if rule.end and any(kind == "text" for kind, _ in blocks):
                out.cut_after = s
                out.cut_lines = sum(1 for ln in body_lines[idx + 1:] if ln.strip())
                break
            out.dropped.append(s)
            last_blank = False
            continue
        if _IMAGE_LINE.match(s):
            blocks.append(("image", s))
            last_blank = False
            continue
        m = _URL_LINE.match(s)
        if m and all(not ln.strip() or _URL_LINE.match(ln.strip()) for ln in body_lines[idx + 1:]):
            out.old_url = out.old_url or m.group(1)  # a source line at the very end
            continue
        if meta(s, in_header=False):
            continue
        ra = _READ_ALSO.match(s)
        if ra:
            title = ra.group("title").strip()
            if not title:
                following = next((ln.strip() for ln in body_lines[idx + 1:] if ln.strip()), "")
                if following and len(following) <= 200:
                    title = following
                    body_lines[idx + 1 + next(k for k, ln in enumerate(body_lines[idx + 1:]) if ln.strip())] = ""
            if title:
                out.related.append({"text": s if ra.group("title") else f"{s} {title}", "title": title})
            continue
        continues = (
            blocks and blocks[-1][0] == "text" and not last_blank
            and re.match(rf"[{_LOW}]", s) and not re.search(r"[.!?…:»\"”]$", blocks[-1][1])
        )
        if continues:
            blocks[-1] = ("text", blocks[-1][1] + " " + s)
        else:
            blocks.append(("text", s))
        last_blank = False
    out.blocks = blocks

    # The dateline moves to the front matter (the article template prints it); the rest of its
    # paragraph stays as written.
    text_at = [k for k, (kind, _t) in enumerate(blocks) if kind == "text"]
    for k in text_at[:2]:
        out.dateline = find_dateline(blocks[k][1])
        if out.dateline:
            rest = blocks[k][1][int(out.dateline.pop("length")):]
            if rest.strip():
                blocks[k] = ("text", rest)
            else:
                del blocks[k]
            break
    texts = [t for kind, t in blocks if kind == "text"]
    for paragraph in texts:
        cand = related_candidate(paragraph)
        if cand:
            out.related.append(cand)
    return out


@functools.lru_cache(maxsize=64)
def _listing(folder: str, mtime_ns: int) -> dict[str, str]:
    """lower-case name -> name of the files in a folder (cached while the folder is unchanged)."""
    try:
        return {e.name.lower(): e.name for e in os.scandir(folder)}
    except OSError:
        return {}


def _find_image(ref: str, base_dir: Path, stem: str) -> tuple[Path | None, str | None]:
    """The image file a reference names, beside the input (or in ``<stem>_files/``); (path, problem)."""
    name = ref.rsplit("/", 1)[-1].split("?", 1)[0]
    candidates = [base_dir / name, base_dir / f"{stem}_files" / name, base_dir / "images" / name]
    for folder in (base_dir, base_dir / f"{stem}_files"):
        try:
            mtime = folder.stat().st_mtime_ns
        except OSError:
            continue
        other_case = _listing(str(folder), mtime).get(name.lower())
        if other_case:
            candidates.append(folder / other_case)
    for cand in candidates:
        if cand.is_file():
            try:
                cand.resolve().relative_to(base_dir.resolve())
            except ValueError:
                continue
            if cand.stat().st_size > 50 * 1024 * 1024:
                return None, f"image {ref} is larger than 50 MB; not copied"
            if image_kind(cand) is None:
                return None, f"{cand.name} is not a JPEG/PNG/GIF/WebP/AVIF image; not copied"
            return cand, None
    return None, None


def read_text_file(
    path: Path,
    session: ImportSession,
    *,
    source_name: str | None = None,
    old_url_base: str | None = None,
    encoding: str = "auto",
    max_bytes: int = MAX_ARTICLE_BYTES,
) -> ImportedArticle:
    """Read one saved article text file; :class:`ImportProblem` when it is not one."""
    name = source_name or path.name
    data = read_bytes(path, max_bytes, what="article text")
    if session.already_imported(sha256_hex(data)):  # the writer skips it: no need to read it again
        return ImportedArticle(source_name=name, sha256=sha256_hex(data), title="", blocks=[])
    decoded = decode_text(data, name, encoding)
    parsed = parse_article_text(decoded.text, furniture=session.furniture, tz=session.source_tz)
    if not parsed.title:
        raise ImportProblem(name, "no headline: the file has no text line (only furniture, dates or numbers)")
    if not any(kind == "text" for kind, _ in parsed.blocks):
        raise ImportProblem(name, "no article text after the headline (only page furniture or metadata)")

    warnings = list(decoded.warnings)
    images: list[ImageRef] = []
    names: dict[str, str] = {}  # original -> name in the page folder

    def image(ref: str) -> str:
        if ref in names:
            return names[ref]
        safe = safe_media_name(ref)
        taken = {i.name.lower() for i in images}
        stem, dot, ext = safe.rpartition(".")
        k = 2
        while safe.lower() in taken:
            safe = f"{stem}-{k}{dot}{ext}"
            k += 1
        found, problem = _find_image(ref, path.parent, path.stem)
        if problem:
            warnings.append(problem)
        images.append(ImageRef(safe, found, ref))
        names[ref] = safe
        return safe

    blocks: list[str] = []
    summary_after = None
    lead = {}
    if parsed.lead_image:
        # Shown by the article template from the front matter, so not in the body as well.
        lead["file"] = image(parsed.lead_image)
    for kind, content in parsed.blocks:
        if kind == "image":
            blocks.append(f"![]({image(content)})")
        else:
            blocks.append(escape_markdown(content))
            if summary_after is None:
                summary_after = len(blocks) - 1
    if parsed.photo_credit:
        lead["credit"] = parsed.photo_credit
    if parsed.cut_after and parsed.cut_lines:
        warnings.append(f"dropped '{parsed.cut_after}' and the {parsed.cut_lines} line(s) after it "
                        "(a block that is not part of the article)")
    if parsed.date is None:
        warnings.append("no date found: the page has no date (Grav then uses the file's modification time); "
                        "add date: 'dd-mm-YYYY HH:MM' to its header")
    elif not parsed.date.has_time:
        warnings.append(f"the date '{parsed.date.text}' has no time of day; 00:00 is used")

    old_urls = [parsed.old_url] if parsed.old_url else []
    if not old_urls and old_url_base:
        rel = Path(name).with_suffix("").as_posix()
        old_urls = [old_url_base.rstrip("/") + "/" + rel]
    lang_hint = parsed.date.lang if parsed.date and parsed.date.lang in ("kk", "ru") else None
    article = ImportedArticle(
        source_name=name,
        sha256=sha256_hex(data),
        title=parsed.title,
        blocks=blocks,
        lang=None,
        date=parsed.date.value if parsed.date else None,
        date_text=parsed.date.text if parsed.date else "",
        has_time=parsed.date.has_time if parsed.date else True,
        old_urls=old_urls,
        views=parsed.views,
        lead_image=lead,
        dateline=parsed.dateline or {},
        related_candidates=parsed.related,
        authors=parsed.authors,
        categories=parsed.categories,
        tags=parsed.tags,
        images=images,
        warnings=warnings,
        import_extra={"encoding": decoded.encoding} if decoded.encoding not in ("utf-8", "utf-8-sig") else {},
        summary_after=summary_after,
    )
    if lang_hint and session.lang == "auto":
        from qalam.lang.detect import detect_language

        detected = detect_language(parsed.title + "\n" + "\n".join(c for k, c in parsed.blocks if k == "text")[:20000])
        if detected != lang_hint:
            warnings.append(f"the text reads as '{detected}' but the date is written in '{lang_hint}'; "
                            f"imported as '{detected}' (pass --lang to choose)")
        article.lang = detected  # detected once
    return article
