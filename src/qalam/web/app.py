"""Django, configured from a :class:`~qalam.content.site.Site` — users never write a settings module.

One process serves one site at a time; :func:`set_site` swaps it (tests serve many). Each site
has its own database (accounts, sessions, API tokens, the audit log, autosaved drafts): SQLite at
``user/.qalam/qalam.sqlite3``, created and migrated on first use (:func:`ensure_database`), and
its own secret key (``user/.qalam/secret.key``, or ``QALAM_SECRET_KEY`` when several servers
share the sessions). Reading pages never touches the database.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import threading
from pathlib import Path

from qalam.content.site import Site
from qalam.render import hosts

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
    _use_site_database(site)
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
                INSTALLED_APPS=[
                    "django.contrib.auth",
                    "django.contrib.contenttypes",
                    "django.contrib.sessions",
                    "qalam.web.apps.QalamWebConfig",
                ],
                MIDDLEWARE=[
                    "qalam.web.middleware.HostMiddleware",  # 400 for a Host the site does not answer to
                    "django.middleware.security.SecurityMiddleware",
                    "qalam.web.middleware.DatabaseMiddleware",  # the site's database, migrated on first use
                    "django.contrib.sessions.middleware.SessionMiddleware",
                    "django.middleware.common.CommonMiddleware",
                    "django.middleware.csrf.CsrfViewMiddleware",
                    "django.contrib.auth.middleware.AuthenticationMiddleware",
                    "django.middleware.http.ConditionalGetMiddleware",
                    "django.middleware.clickjacking.XFrameOptionsMiddleware",
                ],
                APPEND_SLASH=False,
                DATABASES={"default": {
                    "ENGINE": "django.db.backends.sqlite3",
                    "NAME": ":memory:",  # set_site() points it at the site's own file
                    "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE",
                                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
                }},
                DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
                AUTH_PASSWORD_VALIDATORS=[
                    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
                     "OPTIONS": {"min_length": 10}},
                    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
                    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
                ],
                SESSION_ENGINE="django.contrib.sessions.backends.db",
                SESSION_COOKIE_NAME="qalam_session",
                SESSION_COOKIE_HTTPONLY=True,
                SESSION_COOKIE_SAMESITE="Lax",
                SESSION_COOKIE_AGE=12 * 3600,  # a working day; the login page says so
                CSRF_COOKIE_NAME="qalam_csrf",
                CSRF_COOKIE_SAMESITE="Strict",
                CSRF_FAILURE_VIEW="qalam.web.editor.views.csrf_failure",
                LOGIN_URL="/editor/login",
                LANGUAGE_CODE="kk",
                LANGUAGES=[("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")],
                LANGUAGE_COOKIE_NAME="qalam_editor_lang",
                LOCALE_PATHS=[str(Path(__file__).parent / "locale")],
                USE_I18N=True,
                TEMPLATES=[{
                    "BACKEND": "django.template.backends.django.DjangoTemplates",
                    "DIRS": [],
                    "APP_DIRS": True,
                    "OPTIONS": {"context_processors": [
                        "django.template.context_processors.request",
                        "django.template.context_processors.csrf",
                        "django.template.context_processors.i18n",
                        "django.contrib.auth.context_processors.auth",
                    ]},
                }],
                NINJA_PAGINATION_PER_PAGE=50,
                USE_TZ=True,
                TIME_ZONE="UTC",
                DEFAULT_CHARSET="utf-8",
                SECURE_CONTENT_TYPE_NOSNIFF=True,
                SECURE_REFERRER_POLICY=hosts.REFERRER_POLICY,
                SECURE_CROSS_ORIGIN_OPENER_POLICY=hosts.OPENER_POLICY,
                X_FRAME_OPTIONS=hosts.FRAME_OPTIONS,
                LOGGING_CONFIG=None,
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


# --- the site's database and secret --------------------------------------------------------------
_migrated: set[str] = set()
_db_lock = threading.Lock()
DATABASE_NAME = "qalam.sqlite3"


def database_path(site: Site) -> Path:
    return Path(site.state_dir) / DATABASE_NAME


def secret_key(site: Site) -> str:
    """The site's signing key: ``QALAM_SECRET_KEY``, else ``user/.qalam/secret.key`` (made once, 0600).

    Sessions and CSRF tokens survive a restart and are shared by the workers of one server; the
    file lives in the state folder, which never enters git or the static export.
    """
    env = os.environ.get("QALAM_SECRET_KEY", "").strip()
    if env:
        return env
    path = Path(site.state_dir) / "secret.key"
    try:
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(48)
    tmp = path.with_name(f".secret.key.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    try:
        os.link(tmp, path)  # the first process to get here wins; the others read its key
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
    finally:
        tmp.unlink(missing_ok=True)
    return key


def database_settings(site: Site) -> dict:
    """Django's settings for the site's database: SQLite in the state folder, or the PostgreSQL
    server named by ``QALAM_DATABASE_URL`` (``postgresql://user:password@host:5432/name``;
    docs/scaling.md), shared by every server of the site."""
    url = os.environ.get("QALAM_DATABASE_URL", "").strip()
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(database_path(site)),
                "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False,
                "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE",
                            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}}
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql") or not parts.path.strip("/"):
        raise ValueError(f"QALAM_DATABASE_URL must look like postgresql://user:password@host:5432/name, not {url!r}")
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return {"ENGINE": "django.db.backends.postgresql", "NAME": unquote(parts.path.strip("/")),
            "USER": unquote(parts.username or ""), "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "", "PORT": str(parts.port or ""), "OPTIONS": options,
            "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}


def _database_key(db: dict) -> str:
    return f"{db['ENGINE']}|{db.get('HOST', '')}|{db.get('PORT', '')}|{db['NAME']}"


def _use_site_database(site: Site) -> None:
    from django.conf import settings
    from django.db import connections

    settings.SECRET_KEY = secret_key(site)
    secure = str(site.config.base_url or "").startswith("https://")
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = secure
    base = str(site.config.base_url or "").rstrip("/")
    settings.CSRF_TRUSTED_ORIGINS = [base] if base.startswith(("http://", "https://")) else []
    wanted = database_settings(site)
    db = connections.settings["default"]
    if _database_key(db) != _database_key(wanted):
        if connections["default"].connection is not None:  # only tests swap sites with one open
            connections["default"].close()
        engine_changed = db["ENGINE"] != wanted["ENGINE"]
        for key in ("HOST", "PORT", "USER", "PASSWORD"):
            db[key] = ""
        db.update(wanted)
        settings.DATABASES["default"] = db
        if engine_changed:
            del connections["default"]  # another backend: a new connection wrapper


def ensure_database(site: Site | None = None) -> None:
    """Create and migrate the site's database the first time this process needs it.

    Several workers may start at once: a file lock makes one of them migrate and the others wait.
    """
    site = site or current_site()
    db = database_settings(site)
    key = _database_key(db)
    sqlite = db["ENGINE"].endswith("sqlite3")
    if key in _migrated and (not sqlite or os.path.exists(db["NAME"])):
        return
    with _db_lock:
        if key in _migrated and (not sqlite or os.path.exists(db["NAME"])):
            return
        Path(site.state_dir).mkdir(parents=True, exist_ok=True)
        fd = os.open(Path(site.state_dir) / "db.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # the workers of this server
            migrate_database(quiet=True)
            if sqlite:
                os.chmod(db["NAME"], 0o600)  # password hashes and tokens: readable by the site's user only
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        _migrated.add(key)


#: The PostgreSQL advisory lock key the servers of one site migrate under (any constant will do).
_MIGRATION_LOCK = 0x51A1A4


def migrate_database(*, quiet: bool = False) -> None:
    """Apply Django's migrations to the current site's database and make the role groups.

    On PostgreSQL the servers of a site may start together: they migrate one at a time under an
    advisory lock, and the others then find nothing left to do."""
    import io

    from django.core.management import call_command
    from django.db import connection

    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [_MIGRATION_LOCK])
    try:
        call_command("migrate", verbosity=0 if quiet else 1, interactive=False,
                     **({"stdout": io.StringIO()} if quiet else {}))
        from qalam.web.accounts import ensure_roles

        ensure_roles()
    finally:
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_MIGRATION_LOCK])
