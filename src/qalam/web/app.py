"""Django, configured from a :class:`~qalam.content.site.Site` — users never write a settings module.

One process serves one site at a time; :func:`set_site` swaps it (tests serve many).
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

from qalam.content.site import Site

_state = threading.local()
_current: dict[str, Site | None] = {"site": None}
_configured = False
_lock = threading.Lock()

THEMES_DIR = Path(__file__).parent / "themes"


def current_site() -> Site:
    site = _current["site"]
    if site is None:
        raise RuntimeError("no site is being served: call qalam.web.app.set_site(site) first")
    return site


def set_site(site: Site) -> None:
    configure()
    _current["site"] = site
    from qalam.render.theme import reset_environment

    reset_environment()


def configure(*, debug: bool = False) -> None:
    """Configure Django settings once per process."""
    global _configured
    with _lock:
        if _configured:
            return
        from django.conf import settings

        if not settings.configured:
            settings.configure(
                DEBUG=debug,
                SECRET_KEY=secrets.token_urlsafe(48),
                ALLOWED_HOSTS=["*"],
                ROOT_URLCONF="qalam.web.urls",
                INSTALLED_APPS=["qalam.web"],
                MIDDLEWARE=[
                    "qalam.web.middleware.HostMiddleware",  # 400 for a Host the site does not answer to
                    "django.middleware.security.SecurityMiddleware",
                    "django.middleware.common.CommonMiddleware",
                    "django.middleware.http.ConditionalGetMiddleware",
                    "django.middleware.clickjacking.XFrameOptionsMiddleware",
                ],
                APPEND_SLASH=False,
                DATABASES={},
                USE_TZ=True,
                TIME_ZONE="UTC",
                DEFAULT_CHARSET="utf-8",
                SECURE_CONTENT_TYPE_NOSNIFF=True,
                SECURE_REFERRER_POLICY="strict-origin-when-cross-origin",
                X_FRAME_OPTIONS="SAMEORIGIN",
                LOGGING_CONFIG=None,
                TEMPLATES=[],
            )
        import django

        django.setup()
        _configured = True


def get_asgi_application(site: Site):
    set_site(site)
    from django.core.asgi import get_asgi_application as django_asgi

    return django_asgi()


def get_wsgi_application(site: Site):
    set_site(site)
    from django.core.wsgi import get_wsgi_application as django_wsgi

    return django_wsgi()
