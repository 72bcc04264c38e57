"""A news site with newsroom accounts, shared by the API and editor tests of a module."""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from dataclasses import dataclass

from tests.conftest import NOW, write_site
from tests.newsroom.conftest import NEWS_SITE

PASSWORDS = {"aigul": "aigul-kupia-soz-2026", "marat": "marat-kupia-soz-2026",
             "erlan": "erlan-kupia-soz-2026", "admin": "admin-kupia-soz-2026"}
ROLES = {"aigul": "author", "marat": "author", "erlan": "editor", "admin": "admin"}


@dataclass
class Newsroom:
    site: object
    tokens: dict
    counter: itertools.count

    def route(self) -> str:
        return f"/news/story-{next(self.counter)}"


#: `QALAM_TEST_POSTGRES_PASS=postgresql://postgres@127.0.0.1:5432/postgres` runs the newsroom's test
#: modules against PostgreSQL: each newsroom gets a throwaway database, dropped at the end of the run
#: (.ci/run does this second pass; tests/conftest.py drops them).
POSTGRES_PASS = os.environ.get("QALAM_TEST_POSTGRES_PASS", "").strip()
_created: list[str] = []


def _throwaway_database() -> str:
    import psycopg

    name = f"qalam_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_PASS, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    _created.append(name)
    return POSTGRES_PASS.rsplit("/", 1)[0] + "/" + name


def drop_databases() -> None:
    if not _created:
        return
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(POSTGRES_PASS, autocommit=True) as conn:
        for name in _created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _created.clear()


def open_newsroom(root):
    from qalam.content.site import Site
    from qalam.web.app import ensure_database, set_site

    if root.exists():
        shutil.rmtree(root)
    if POSTGRES_PASS:
        os.environ["QALAM_DATABASE_URL"] = _throwaway_database()
    site = Site(write_site(root / "user", NEWS_SITE), state_dir=root / "state", clock=lambda: NOW)
    set_site(site)
    ensure_database(site)
    from qalam.web.accounts import add_user, new_token

    tokens = {}
    for name, role in ROLES.items():
        add_user(name, role, PASSWORDS[name], email=f"{name}@example.kz")
        tokens[name] = new_token(name)
    return Newsroom(site, tokens, itertools.count(1))
