"""URL table: theme assets, then everything else goes through the Grav-compatible dispatcher."""

from django.urls import include, path, re_path
from django.views.generic import RedirectView

from qalam.web.api import api
from qalam.web.views import assets, page, search
from qalam.web.views import distribution as distribution_views
from qalam.web.views import images as image_views

urlpatterns = [
    path("api/v1/", api.urls),
    path("editor", RedirectView.as_view(url="/editor/", permanent=False)),
    path("editor/", include("qalam.web.editor.urls")),
    path("_qalam/static/<path:name>", assets.theme_static, name="theme-static"),
    path("api/search", search.api_search, name="api-search"),
    path("", include("qalam.web.news_urls")),
    path("", include("qalam.web.views.counter")),
    path("_qalam/img/<int:width>/<str:fmt>/<path:rel>", image_views.rendition, name="image-rendition"),
    re_path(r"^(?P<key>[A-Za-z0-9-]{8,128})\.txt$", distribution_views.indexnow_key_file, name="indexnow-key"),
    re_path(r"^.*$", page.dispatch, name="page"),
]
