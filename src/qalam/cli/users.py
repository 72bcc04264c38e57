"""``qalam user add|list|set-role|disable|token|password``: newsroom accounts (docs/editor.md).

Accounts live in the site's database (``user/.qalam/qalam.sqlite3``). Exit codes: 0 done,
1 the change was refused (the message says why), 2 wrong usage.
"""

from __future__ import annotations

import functools
import sys

import click
from rich.console import Console
from rich.table import Table

err_console = Console(stderr=True)


def site_option(func):
    @click.option("--site", "site", required=True, type=click.Path(exists=True, file_okay=False),
                  help="The site whose accounts to change (a Grav user/ folder or a folder holding one).")
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


def _open(path: str):
    from qalam.content.site import Site, SiteError
    from qalam.web.app import ensure_database, set_site

    try:
        site = Site(path)
    except SiteError as err:
        err_console.print(f"[red]error:[/] {err}")
        sys.exit(2)
    set_site(site)
    ensure_database(site)
    return site


def _fail(err: Exception) -> None:
    err_console.print(f"[red]error:[/] {err}")
    sys.exit(1)


def _password(username: str) -> str:
    """From stdin when it is not a terminal (scripts, CI), else asked twice without echo."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt(f"Password for {username}", hide_input=True, confirmation_prompt=True, err=True)


@click.group("user")
def user_group() -> None:
    """Newsroom accounts: authors, editors and admins of the editor and the content API."""


@user_group.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["author", "editor", "admin"]),
              help="author: own drafts; editor: review and publish; admin: also accounts and settings.")
@click.option("--email", default="", help="The address commits are signed with (author of each change).")
@click.option("--full-name", default="", help="The name shown in the history (default: NAME).")
@site_option
def add(name: str, role: str, email: str, full_name: str, site: str) -> None:
    """Create the account NAME; the password is read from stdin, or asked for on a terminal."""
    _open(site)
    from qalam.web.accounts import AccountError, add_user

    password = _password(name)
    try:
        add_user(name, role, password, email=email, name=full_name)
    except AccountError as err:
        _fail(err)
    err_console.print(f"[green]added[/] {name} ({role})")


@user_group.command("list")
@site_option
def list_users(site: str) -> None:
    """Every account with its role, whether it is active and its last login."""
    _open(site)
    from qalam.web.accounts import users

    table = Table("name", "role", "email", "full name", "active", "last login", box=None)
    for row in users():
        table.add_row(row["username"], row["role"], row["email"], row["name"], "yes" if row["active"] else "no",
                      row["last_login"].strftime("%Y-%m-%d %H:%M UTC") if row["last_login"] else "-")
    Console(width=200).print(table)


@user_group.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(["author", "editor", "admin"]))
@site_option
def set_role(name: str, role: str, site: str) -> None:
    """Give the account NAME the role ROLE (recorded in the audit log)."""
    _open(site)
    from qalam.web.accounts import AccountError
    from qalam.web.accounts import set_role as change

    try:
        change(name, role)
    except AccountError as err:
        _fail(err)
    err_console.print(f"[green]{name}[/] is now {role}")


@user_group.command("disable")
@click.argument("name")
@site_option
def disable(name: str, site: str) -> None:
    """Disable NAME: no more logins; its sessions and API tokens stop working at once."""
    _open(site)
    from qalam.web.accounts import AccountError
    from qalam.web.accounts import disable as off

    try:
        off(name)
    except AccountError as err:
        _fail(err)
    err_console.print(f"[yellow]disabled[/] {name}")


@user_group.command("token")
@click.argument("name")
@site_option
def token(name: str, site: str) -> None:
    """Print a new API token for NAME on stdout (only its hash is stored: keep it safe)."""
    _open(site)
    from qalam.web.accounts import AccountError, new_token

    try:
        value = new_token(name)
    except AccountError as err:
        _fail(err)
    click.echo(value)


@user_group.command("password")
@click.argument("name")
@site_option
def password(name: str, site: str) -> None:
    """Set a new password for NAME (read like `qalam user add` reads it); other sessions end."""
    _open(site)
    from qalam.web.accounts import AccountError, set_password

    try:
        set_password(name, _password(name))
    except AccountError as err:
        _fail(err)
    err_console.print(f"[green]password changed[/] for {name}")
