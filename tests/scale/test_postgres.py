"""The site database on PostgreSQL (QALAM_DATABASE_URL): accounts, sessions, tokens, the audit log
and autosaves on the server several app servers share. Runs against the machine's PostgreSQL
(127.0.0.1:5432) in a throwaway database, dropped afterwards; skipped where no server runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from ..conftest import write_site
from ..newsroom.conftest import NEWS_SITE

ADMIN_URL = os.environ.get("QALAM_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def pg_url():
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as err:
        pytest.skip(f"no PostgreSQL at {ADMIN_URL} ({err}); these tests need one")
    name = f"qalam_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}", admin, name
    finally:
        from django.db import connections

        connections.close_all()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_newsroom_on_postgresql(pg_url, tmp_path, monkeypatch):
    import psycopg
    from django.db import connection
    from django.test import Client

    url, _admin, _name = pg_url
    monkeypatch.setenv("QALAM_DATABASE_URL", url)
    from tests.web.newsroom_fixtures import PASSWORDS, open_newsroom

    room = open_newsroom(tmp_path / "site")
    assert connection.vendor == "postgresql"
    assert not (room.site.state_dir / "qalam.sqlite3").exists()  # nothing went to SQLite
    api = Client(SERVER_NAME="localhost")
    token = {"HTTP_AUTHORIZATION": f"Token {room.tokens['erlan']}"}
    created = api.post("/api/v1/pages", json.dumps({"route": "/news/pg-story", "lang": "kk",
                                                    "header": {"title": "PostgreSQL"}, "body": "мәтін"}),
                       content_type="application/json", **token)
    assert created.status_code == 201
    assert api.post("/api/v1/pages/kk/news/pg-story/publish", **token).status_code == 200
    browser = Client(SERVER_NAME="localhost")
    assert browser.post("/editor/login", {"username": "aigul", "password": PASSWORDS["aigul"]}).status_code == 302
    assert browser.post("/editor/autosave/kk/news/old-story", '{"data": {"title": "жартылай"}}',
                        content_type="application/json").status_code == 200
    with psycopg.connect(url) as conn:
        users = {r[0] for r in conn.execute("SELECT username FROM auth_user")}
        actions = [r[0] for r in conn.execute("SELECT action FROM qalam_auditentry ORDER BY id")]
        sessions = conn.execute("SELECT count(*) FROM django_session").fetchone()[0]
        tokens = conn.execute("SELECT count(*) FROM qalam_apitoken").fetchone()[0]
        kept = conn.execute("SELECT data FROM qalam_autosave").fetchall()
    assert users == {"aigul", "marat", "erlan", "admin"}
    assert "publish" in actions and sessions >= 1 and tokens == 4
    assert kept == [({"title": "жартылай"},)]
    room.site.close()


def test_back_to_sqlite_in_the_same_process(pg_url, tmp_path, monkeypatch):
    """A process that served a PostgreSQL site can serve a SQLite one (tests swap sites)."""
    from django.db import connection

    from tests.web.newsroom_fixtures import open_newsroom

    url, _admin, _name = pg_url
    monkeypatch.setenv("QALAM_DATABASE_URL", url)
    open_newsroom(tmp_path / "pg").site.close()
    assert connection.vendor == "postgresql"
    monkeypatch.delenv("QALAM_DATABASE_URL")
    room = open_newsroom(tmp_path / "lite")
    assert connection.vendor == "sqlite" and (room.site.state_dir / "qalam.sqlite3").exists()
    room.site.close()


def test_cli_migrates_and_adds_users_on_postgresql(pg_url, tmp_path):
    import psycopg

    url, _admin, _name = pg_url
    site = write_site(tmp_path / "user", NEWS_SITE)
    env = {**os.environ, "QALAM_DATABASE_URL": url}
    exe = [sys.executable, "-m", "qalam.cli.main"]
    migrated = subprocess.run([*exe, "db", "migrate", str(site)], env=env, capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stderr
    assert "PostgreSQL" in migrated.stderr
    added = subprocess.run([*exe, "user", "add", "dana", "--role", "editor", "--site", str(site)], env=env,
                           input="дана-құпия-сөз-2026\n", capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT username FROM auth_user").fetchall() == [("dana",)]
    bad = subprocess.run([*exe, "db", "migrate", str(site)], env={**env, "QALAM_DATABASE_URL": "mysql://x/y"},
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "postgresql://" in bad.stderr
    down = subprocess.run([*exe, "db", "migrate", str(site)],
                          env={**env, "QALAM_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none"},
                          capture_output=True, text=True)
    assert down.returncode == 1 and "could not migrate" in down.stderr


def test_copy_a_single_machine_newsroom_into_postgresql(pg_url, tmp_path):
    import psycopg

    url, _admin, _name = pg_url
    site = write_site(tmp_path / "user", NEWS_SITE)
    exe = [sys.executable, "-m", "qalam.cli.main"]
    lite = {k: v for k, v in os.environ.items() if k != "QALAM_DATABASE_URL"}
    for name, role in (("aigul", "author"), ("erlan", "editor")):
        subprocess.run([*exe, "user", "add", name, "--role", role, "--site", str(site)], env=lite,
                       input="ұзын-құпия-сөз-2026\n", capture_output=True, text=True, check=True)
    token = subprocess.run([*exe, "user", "token", "erlan", "--site", str(site)], env=lite,
                           capture_output=True, text=True, check=True).stdout.strip()
    env = {**lite, "QALAM_DATABASE_URL": url}
    copied = subprocess.run([*exe, "db", "copy", str(site)], env=env, capture_output=True, text=True)
    assert copied.returncode == 0, copied.stderr
    with psycopg.connect(url) as conn:
        users = dict(conn.execute("SELECT u.username, g.name FROM auth_user u JOIN auth_user_groups ug ON "
                                  "ug.user_id = u.id JOIN auth_group g ON g.id = ug.group_id").fetchall())
        actions = [r[0] for r in conn.execute("SELECT action FROM qalam_auditentry ORDER BY id")]
    assert users == {"aigul": "author", "erlan": "editor"}
    assert actions == ["user add", "user add", "token add"]
    # The token made on the single machine works against PostgreSQL.
    listed = subprocess.run([sys.executable, "-c", (
        "import os, sys; from qalam.content.site import Site; from qalam.web.app import set_site, ensure_database;"
        f"s = Site({str(site)!r}); set_site(s); ensure_database(s);"
        "from qalam.web.accounts import user_for_token; print(user_for_token(sys.argv[1]).username)"), token],
        env=env, capture_output=True, text=True)
    assert listed.stdout.strip() == "erlan", listed.stderr
    again = subprocess.run([*exe, "db", "copy", str(site)], env=env, capture_output=True, text=True)
    assert again.returncode == 1 and "already has accounts" in again.stderr
