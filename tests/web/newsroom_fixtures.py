"""A news site with newsroom accounts, shared by the API and editor tests of a module."""

from __future__ import annotations

import itertools
import shutil
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


def open_newsroom(root):
    from qalam.content.site import Site
    from qalam.web.app import ensure_database, set_site

    if root.exists():
        shutil.rmtree(root)
    site = Site(write_site(root / "user", NEWS_SITE), state_dir=root / "state", clock=lambda: NOW)
    set_site(site)
    ensure_database(site)
    from qalam.web.accounts import add_user, new_token

    tokens = {}
    for name, role in ROLES.items():
        add_user(name, role, PASSWORDS[name], email=f"{name}@example.kz")
        tokens[name] = new_token(name)
    return Newsroom(site, tokens, itertools.count(1))
