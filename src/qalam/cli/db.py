"""``qalam db migrate|copy``: the site's database (accounts, sessions, editor state) brought up to date.

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


@db_group.command("copy")
@click.argument("site", type=click.Path(exists=True, file_okay=False))
def copy(site: str) -> None:
    """Copy SITE's newsroom database from its SQLite file into QALAM_DATABASE_URL's PostgreSQL
    (accounts, tokens, sessions, the audit log, autosaved drafts), when moving to several servers."""
    import os
    import tempfile

    from django.core.management import call_command
    from django.db import connections

    from qalam.content.site import Site, SiteError
    from qalam.web.app import database_path, database_settings, migrate_database, set_site

    try:
        the_site = Site(site)
        target = database_settings(the_site)
    except (SiteError, ValueError) as err:
        err_console.print(f"[red]error:[/] {err}")
        sys.exit(2)
    source_file = database_path(the_site)
    if target["ENGINE"].endswith("sqlite3"):
        err_console.print("[red]error:[/] set QALAM_DATABASE_URL=postgresql://… to the database to copy into")
        sys.exit(2)
    if not source_file.exists():
        err_console.print(f"[red]error:[/] {source_file} does not exist: there is nothing to copy")
        sys.exit(2)
    set_site(the_site)
    try:
        migrate_database(quiet=True)
    except Exception as err:  # noqa: BLE001
        err_console.print(f"[red]error:[/] could not reach the PostgreSQL database: {err}")
        sys.exit(1)
    from django.contrib.auth import get_user_model

    if get_user_model().objects.exists():
        err_console.print("[red]error:[/] the PostgreSQL database already has accounts; copy only into a new one")
        sys.exit(1)
    both = connections.configure_settings({"default": dict(connections.settings["default"]), "source": {
        "ENGINE": "django.db.backends.sqlite3", "NAME": str(source_file)}})
    connections.settings["source"] = both["source"]
    models = ["auth.group", "auth.user", "sessions", "qalam"]
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "newsroom.json")
        call_command("dumpdata", *models, database="source", natural_foreign=True, natural_primary=True,
                     output=dump, verbosity=0)
        call_command("loaddata", dump, database="default", verbosity=0)
    connections["source"].close()
    counts = {m: n for m, n in (("accounts", get_user_model().objects.count()),)}
    err_console.print(f"[green]copied[/] {source_file} into PostgreSQL ({counts['accounts']} accounts); "
                      f"the SQLite file is left as it was")
