"""URL table: theme assets, then everything else goes through the Grav-compatible dispatcher."""

from django.urls import path, re_path

from .views import assets, page, search

urlpatterns = [
    path("_qalam/static/<path:name>", assets.theme_static, name="theme-static"),
    path("api/search", search.api_search, name="api-search"),
    re_path(r"^.*$", page.dispatch, name="page"),
]
