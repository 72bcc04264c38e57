"""Image renditions under ``/_qalam/img/<width>/<format>/<folder path>/<file>`` (docs/images.md).

Only configured widths (``qalam.images.widths``) and the formats a file has (its own,
plus ``webp`` when ``qalam.images.webp`` is on) exist; anything else is a 404, so the
URL space cannot be used to make the server resize images at will. When a file cannot
have renditions (too many pixels, truncated, corrupt, animated) the original is served
with a short cache lifetime, so a page never shows a broken image for it.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.http import http_date

from qalam.content.images import CONTENT_TYPES, EXT_FORMAT, renditions_for
from qalam.web.views.page import media_response

#: A URL whose ``v`` matches the file version never changes content.
IMMUTABLE = "public, max-age=31536000, immutable"
#: Without (or with an old) ``v``: the content follows the file, so not for long.
UNVERSIONED = "public, max-age=3600"
#: The original served in place of a rendition that cannot be made.
FALLBACK = "public, max-age=300"


def rendition(request: HttpRequest, width: int, fmt: str, rel: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    site = request.site
    renditions = renditions_for(site)
    out_fmt = EXT_FORMAT.get(fmt)
    if out_fmt is None or width not in renditions.widths:
        raise Http404("no such rendition")
    source = renditions.source(rel)
    if source is None or out_fmt not in renditions.formats(source):
        raise Http404("no such rendition")
    path = renditions.rendition(source, width, out_fmt)
    if path is None:
        response = media_response(site, source.path)
        response["Cache-Control"] = FALLBACK
        return response
    data = path.read_bytes()
    response = HttpResponse(data, content_type=CONTENT_TYPES[out_fmt])
    response["ETag"] = f'"{path.stem[:32]}"'
    response["Last-Modified"] = http_date(source.mtime_ns / 1e9)
    response["Cache-Control"] = IMMUTABLE if request.GET.get("v") == renditions.version(source) else UNVERSIONED
    return response
