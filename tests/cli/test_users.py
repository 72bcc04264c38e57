"""`qalam user …`: accounts in the site's database, passwords from stdin, hashed tokens."""

from __future__ import annotations

import hashlib
import sqlite3

from click.testing import CliRunner

from qalam.cli.main import cli
from tests.conftest import write_site
from tests.newsroom.conftest import NEWS_SITE


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_user_commands(tmp_path):
    site = str(write_site(tmp_path / "user", NEWS_SITE))
    added = run("user", "add", "aigul", "--role", "author", "--email", "aigul@example.kz",
                "--full-name", "Айгүл Серікқызы", "--site", site, input="ұзын-құпия-сөз-2026\n")
    assert added.exit_code == 0, added.output
    short = run("user", "add", "marat", "--role", "editor", "--site", site, input="qwerty\n")
    assert short.exit_code == 1 and "password" in short.output
    again = run("user", "add", "aigul", "--role", "author", "--site", site, input="ұзын-құпия-сөз-2026\n")
    assert again.exit_code == 1 and "already" in again.output
    bad_role = run("user", "add", "x", "--role", "chief", "--site", site, input="ұзын-құпия-сөз-2026\n")
    assert bad_role.exit_code == 2

    assert run("user", "set-role", "aigul", "editor", "--site", site).exit_code == 0
    listed = run("user", "list", "--site", site).output
    assert "aigul" in listed and "editor" in listed and "Айгүл Серікқызы" in listed

    token = run("user", "token", "aigul", "--site", site)
    assert token.exit_code == 0
    value = token.stdout.strip()
    assert value.startswith("qlm_") and len(value) > 40

    db = tmp_path / "user" / ".qalam" / "qalam.sqlite3"
    assert oct(db.stat().st_mode & 0o777) == "0o600"
    with sqlite3.connect(db) as conn:
        digests = [row[0] for row in conn.execute("SELECT digest FROM qalam_apitoken")]
        passwords = [row[0] for row in conn.execute("SELECT password FROM auth_user")]
        actions = [row[0] for row in conn.execute("SELECT action FROM qalam_auditentry ORDER BY id")]
    assert digests == [hashlib.sha256(value.encode()).hexdigest()]  # the token itself is not stored
    assert passwords[0].startswith(("pbkdf2_", "argon2", "bcrypt")) and "құпия" not in passwords[0]
    assert actions == ["user add", "user set-role", "token add"]

    assert run("user", "disable", "aigul", "--site", site).exit_code == 0
    assert "no" in run("user", "list", "--site", site).output.split("aigul", 1)[1].splitlines()[0]
    missing = run("user", "token", "nobody", "--site", site)
    assert missing.exit_code == 1 and "no account" in missing.output
    assert run("user", "password", "aigul", "--site", site, input="тағы-бір-ұзын-сөз\n").exit_code == 0
