"""Theme assets (CSS, icons) under ``/_qalam/static/``."""

from __future__ import annotations

from django.http import Http404

from ..theme import static_file
from .page import media_response


def theme_static(request, name: str):
    path = static_file(name)
    if path is None:
        raise Http404(name)
    response = media_response(path, root=path.parent)
    response["Cache-Control"] = "public, max-age=3600"
    return response
