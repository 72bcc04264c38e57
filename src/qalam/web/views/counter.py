"""The view beacon (``POST /_qalam/view``) and the most-read page (``/<lang>/popular``).

The beacon needs no CSRF token: it reads and sets no cookie or session and changes nothing
that belongs to a user — it adds one to a public counter, which any client could do anyway.
What CSRF would stop, other sites making their readers' browsers send it, is refused by the
``Sec-Fetch-Site``/``Origin`` check in :func:`qalam.news.counter.handle_beacon`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from qalam.content.urlpaths import absolute_for
from qalam.news import counter
from qalam.render.context import language_links, menu, script_links
from qalam.render.latin import latin_edition
from qalam.render.strings import ui_string
from qalam.render.theme import environment

#: How many pages the most-read page lists per window.
POPULAR_LIMIT = 20


@csrf_exempt
def view_beacon(request: HttpRequest) -> HttpResponse:
    """POST /_qalam/view with the page path as the body (or ``?p=``): 204, no body."""
    site = request.site
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > counter.MAX_BODY:
        status = 413
    else:
        headers = {k[5:].replace("_", "-").lower(): v for k, v in request.META.items() if k.startswith("HTTP_")}
        headers["host"] = request.get_host()
        body = request.body if request.method == "POST" else b""
        status = counter.handle_beacon(
            site, method=request.method, query=request.META.get("QUERY_STRING", ""), body=body, headers=headers,
        )
    response = HttpResponse(status=status)
    response["Cache-Control"] = "no-store"
    if status == 405:
        response["Allow"] = "POST"
    return response


def popular_page(request: HttpRequest, lang: str, script: str = "") -> HttpResponse:
    """The most-read pages of the last 24 hours and 7 days in ``lang``."""
    site = request.site
    lang = lang if lang in site.language_codes else site.default_lang
    switcher, _alts = language_links(site, None, lang, absolute_for(site, request))
    for entry in switcher:
        entry["url"] = counter.popular_url(site, entry["code"])
    tree = site.tree(lang)
    url = counter.popular_url(site, lang)
    title = ui_string("most_read", lang, site=site)
    html = environment(site).get_template("popular.html").render(
        site=site, site_title=site.config.title, lang=lang,
        html_lang=f"{site.html_lang(lang)}-Latn" if script == "latn" else site.html_lang(lang),
        title=title, script=script,
        windows=[
            {"id": "day", "title": ui_string("last_24_hours", lang, site=site),
             "items": counter.most_read_pages(site, lang, counter.DAY, POPULAR_LIMIT)},
            {"id": "week", "title": ui_string("last_7_days", lang, site=site),
             "items": counter.most_read_pages(site, lang, counter.WEEK, POPULAR_LIMIT)},
        ],
        home_url=tree.home.url() if tree.home else (site.languages.prefix(lang) or "/"),
        menu=menu(site, lang, None), languages=switcher, alternates=[],
        metadata=[{"attr": "name", "key": "generator", "value": "Qalam"}],
        body_classes="popular", show_sidebar=False, scripts=script_links(site, lang, url, script),
    )
    if script == "latn":
        html = latin_edition(site, html, lang)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    # The lists change with every flush; a minute of reuse is plenty.
    response["Cache-Control"] = "public, max-age=60"
    response["Content-Language"] = site.html_lang(lang)
    response["Link"] = f'<{absolute_for(site, request)(url)}>; rel="canonical"'
    return response


urlpatterns = [
    path(counter.BEACON_PATH.lstrip("/"), view_beacon, name="view-beacon"),
]
