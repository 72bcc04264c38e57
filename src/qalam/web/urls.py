"""URL table: theme assets, then everything else goes through the Grav-compatible dispatcher."""

from django.urls import path, re_path

from .views import assets, page

urlpatterns = [
    path("_qalam/static/<path:name>", assets.theme_static, name="theme-static"),
    re_path(r"^.*$", page.dispatch, name="page"),
]
