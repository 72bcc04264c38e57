"""Theme assets (CSS, icons) under ``/_qalam/static/``."""

from __future__ import annotations

from django.http import Http404

from qalam.render.theme import static_file
from qalam.web.views.page import media_response


def theme_static(request, name: str):
    path = static_file(request.site, name)
    if path is None:
        raise Http404(name)
    response = media_response(request.site, path, root=path.parent)
    response["Cache-Control"] = "public, max-age=3600"
    return response
