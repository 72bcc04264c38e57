"""/editor/…: the newsroom's web editor (docs/editor.md)."""

from django.urls import path

from . import views

app_name = "editor"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login", views.login_view, name="login"),
    path("logout", views.logout_view, name="logout"),
    path("language", views.set_language, name="language"),
    path("static/<str:name>", views.static, name="static"),
    path("new", views.new, name="new"),
    path("check", views.check, name="check"),
    path("audit", views.audit, name="audit"),
    path("users", views.users, name="users"),
    path("settings", views.settings_view, name="settings"),
    path("edit/<str:lang>/<path:route>", views.edit, name="edit"),
    path("preview/<str:lang>/<path:route>", views.preview, name="preview"),
    path("autosave/<str:lang>/<path:route>", views.autosave, name="autosave"),
    path("history/<str:lang>/<path:route>", views.history, name="history"),
    path("compare/<str:lang>/<path:route>", views.compare, name="compare"),
    path("restore/<str:lang>/<path:route>", views.restore, name="restore"),
]
