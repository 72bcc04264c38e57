"""URL table: what needs Django (API, editor, the view beacon, the search API), then everything
public through the render pipeline's one catch-all (render/pipeline.py lists what it answers)."""

from django.urls import include, path, re_path
from django.views.generic import RedirectView

from qalam.web.api import api
from qalam.web.views import page, search

urlpatterns = [
    path("api/v1/", api.urls),
    path("editor", RedirectView.as_view(url="/editor/", permanent=False)),
    path("editor/", include("qalam.web.editor.urls")),
    path("api/search", search.api_search, name="api-search"),
    path("", include("qalam.web.views.counter")),
    re_path(r"^.*$", page.dispatch, name="page"),
]
