"""``qalam db migrate``: the site's database (accounts, sessions, editor state) brought up to date.

SQLite in ``user/.qalam/`` by default, migrated on first use; with ``QALAM_DATABASE_URL`` the
PostgreSQL server several app servers share (docs/scaling.md), which is best migrated once, by
this command, before the new version of Qalam serves.
"""

from __future__ import annotations

import sys

import click
from rich.console import Console

err_console = Console(stderr=True)


@click.group("db")
def db_group() -> None:
    """The site's database: accounts, sessions, API tokens, the audit log, autosaved drafts."""


@db_group.command("migrate")
@click.argument("site", type=click.Path(exists=True, file_okay=False))
def migrate(site: str) -> None:
    """Create or update the tables of SITE's database (SQLite, or QALAM_DATABASE_URL's PostgreSQL)."""
    from qalam.content.site import Site, SiteError
    from qalam.web.app import database_settings, migrate_database, set_site

    try:
        the_site = Site(site)
        db = database_settings(the_site)
        set_site(the_site)
    except (SiteError, ValueError) as err:
        err_console.print(f"[red]error:[/] {err}")
        sys.exit(2)
    where = db["NAME"] if db["ENGINE"].endswith("sqlite3") else f"PostgreSQL {db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    try:
        migrate_database()
    except Exception as err:  # noqa: BLE001 — a database that cannot be reached: say which and why
        err_console.print(f"[red]error:[/] could not migrate {where}: {err}")
        sys.exit(1)
    err_console.print(f"[green]migrated[/] {where}")
