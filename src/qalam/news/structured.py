"""Sharing and search-engine metadata of an article: schema.org JSON-LD, Open Graph,
Twitter cards, share links. Pure functions over the content layer's Article."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable

from markupsafe import Markup

from qalam.content.article import Article
from qalam.content.site import Site

OG_LOCALES = {"kk": "kk_KZ", "ru": "ru_RU", "en": "en_US"}


def absolute_url(site: Site, absolute: Callable[[str], str], path: str) -> str:
    """``qalam.site_url`` + path when configured, else the request's own origin."""
    if path.startswith(("http://", "https://")):
        return path
    base = str(site.config.get("qalam.site_url") or "").rstrip("/")
    return base + path if base else absolute(path)


def json_ld(site: Site, art: Article, url: str, image_urls: list[str], absolute) -> Markup:
    """NewsArticle (news sites) or BlogPosting (`qalam.site_type: blog`) as a <script> block."""
    page = art.page
    kind = "BlogPosting" if str(site.config.get("qalam.site_type") or "news") == "blog" else "NewsArticle"
    publisher_name = str(site.config.get("qalam.publisher.name") or site.config.title)
    publisher: dict = {"@type": "Organization", "name": publisher_name}
    logo = site.config.get("qalam.publisher.logo")
    if logo:
        publisher["logo"] = {"@type": "ImageObject", "url": absolute_url(site, absolute, str(logo))}
    data: dict = {
        "@context": "https://schema.org",
        "@type": kind,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "headline": page.title[:110],
        "url": url,
        "inLanguage": page.lang or site.html_lang(""),
        "datePublished": page.date.astimezone(site.tz).isoformat(),
        # The header's `modified` date, else the publish date: never the file's time (an archive
        # imported today is not modified today).
        "dateModified": max(page.modified_from_header or page.date, page.date).astimezone(site.tz).isoformat(),
        "publisher": publisher,
    }
    if image_urls:
        data["image"] = image_urls
    if art.lead_image and art.lead_image.credit:
        data["image"] = [
            {"@type": "ImageObject", "url": u, "creditText": art.lead_image.credit,
             **({"caption": art.lead_image.caption} if art.lead_image.caption else {})}
            for u in image_urls
        ] or data.get("image")
    if art.authors:
        data["author"] = [
            {"@type": "Person", "name": a.name,
             "url": absolute_url(site, absolute, f"{site.languages.prefix(page.lang)}/author/{a.slug}")}
            for a in art.authors
        ]
    else:
        data["author"] = {"@type": "Organization", "name": publisher_name}
    if art.dateline:
        data["dateline"] = str(art.dateline)
    if art.section_title:
        data["articleSection"] = art.section_title
    if art.tags:
        data["keywords"] = art.tags
    if art.source and art.source.agency:
        data["sourceOrganization"] = {"@type": "Organization", "name": art.source.agency,
                                      **({"url": art.source.url} if art.source.url else {})}
    return Markup(f'<script type="application/ld+json">{script_json(data)}</script>')


def script_json(data) -> str:
    """JSON that is valid JSON and safe inside a <script> element: ``<``, ``>``, ``&`` and the line
    separators as \\u escapes (content can then neither close the element nor open a comment)."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    for ch, rep in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, rep)
    return text


def social_meta(site: Site, art: Article, url: str, description: str, image_url: str | None) -> list[dict]:
    """Open Graph and Twitter card tags (same shape as context.metadata entries)."""
    page = art.page
    meta = [
        {"attr": "property", "key": "og:type", "value": "article"},
        {"attr": "property", "key": "og:title", "value": page.title},
        {"attr": "property", "key": "og:url", "value": url},
        {"attr": "property", "key": "og:site_name", "value": site.config.title},
        {"attr": "property", "key": "og:locale", "value": OG_LOCALES.get(page.lang, page.lang or "en")},
        {"attr": "property", "key": "article:published_time", "value": page.date.astimezone(site.tz).isoformat()},
        {"attr": "property", "key": "article:modified_time",
         "value": max(page.modified, page.date).astimezone(site.tz).isoformat()},
        {"attr": "name", "key": "twitter:card", "value": "summary_large_image" if image_url else "summary"},
        {"attr": "name", "key": "twitter:title", "value": page.title},
        {"attr": "name", "key": "robots", "value": "max-image-preview:large"},
    ]
    if description:
        meta += [
            {"attr": "property", "key": "og:description", "value": description},
            {"attr": "name", "key": "twitter:description", "value": description},
            {"attr": "name", "key": "description", "value": description},
        ]
    if image_url:
        meta += [
            {"attr": "property", "key": "og:image", "value": image_url},
            {"attr": "name", "key": "twitter:image", "value": image_url},
        ]
    if art.section_title:
        meta.append({"attr": "property", "key": "article:section", "value": art.section_title})
    for tag in art.tags:
        meta.append({"attr": "property", "key": "article:tag", "value": tag})
    return meta


def share_links(url: str, title: str) -> list[dict]:
    """Plain share links (no third-party scripts, no trackers)."""
    u = urllib.parse.quote(url, safe="")
    t = urllib.parse.quote(title, safe="")
    both = urllib.parse.quote(f"{title} {url}", safe="")
    return [
        {"name": "WhatsApp", "key": "whatsapp", "href": f"https://wa.me/?text={both}"},
        {"name": "Telegram", "key": "telegram", "href": f"https://t.me/share/url?url={u}&text={t}"},
        {"name": "Facebook", "key": "facebook", "href": f"https://www.facebook.com/sharer/sharer.php?u={u}"},
        {"name": "VK", "key": "vk", "href": f"https://vk.com/share.php?url={u}&title={t}"},
        {"name": "X", "key": "x", "href": f"https://x.com/intent/post?url={u}&text={t}"},
    ]
