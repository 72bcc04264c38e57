"""Docs completeness: every setting and every CLI command and option is documented."""

from __future__ import annotations

import re

import click

from qalam.cli.main import cli
from qalam.content.config import DEFAULTS, OPTIONS, dotted_get

from .conftest import REPO

DOCS = REPO / "docs"


def test_every_config_option_is_documented():
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [key for key in OPTIONS if f"`{key}`" not in text]
    assert missing == [], f"document these options in docs/configuration.md: {missing}"


def test_every_documented_option_has_a_default():
    # Options Qalam reads have a default, so a site without config works.
    optional = {"system.home.aliases"}
    missing = [k for k in OPTIONS if k not in optional and dotted_get(DEFAULTS, k, "<none>") == "<none>"]
    assert missing == []


def _leaf_commands(group: click.Group, prefix: str = ""):
    """(``"import text"``, command) for every command, walking into groups such as ``qalam import``."""
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _leaf_commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def test_every_cli_command_and_option_is_documented():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    for name, command in _leaf_commands(cli):
        assert re.search(rf"^## `qalam {name}\b", text, re.M), f"docs/cli.md: add a section for `qalam {name}`"
        section = text.split(f"## `qalam {name}", 1)[1].split("\n## ", 1)[0]
        for param in command.params:
            if isinstance(param, click.Option):
                for opt in param.opts:
                    if opt.startswith("--") and opt != "--help":
                        assert opt in section, f"docs/cli.md: document {opt} of `qalam {name}`"


def test_readme_quick_start_has_exactly_two_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", quick, re.S).group(1)
    commands = [ln for ln in block.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert [c.split("#")[0].strip() for c in commands] == ["make demo", "make test"]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci


def test_docs_pages_linked_from_readme_exist():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for link in re.findall(r"\]\((docs/[^)]+)\)", readme):
        assert (REPO / link).is_file(), link


def test_security_doc_states_the_limits_the_code_has():
    """docs/security.md quotes limits; a changed limit must change the doc (a stale statement fails)."""
    from qalam.content import safefs, twig
    from qalam.serve import slowclients

    text = (DOCS / "security.md").read_text(encoding="utf-8")
    for number in (twig.MAX_OUTPUT_CHARS, twig.MAX_ITEMS, twig.MAX_WORK_CHARS, twig.MAX_WORK_ITEMS):
        assert f"{number:,}" in text, f"docs/security.md: the Twig limit {number:,} is not stated"
    assert f"after {int(twig.TIME_LIMIT)} seconds" in text
    assert twig.LIMIT_RETRY == 300 and "five minutes" in text
    assert f"`--header-timeout` seconds ({int(slowclients.DEFAULT_HEADER_TIMEOUT)})" in text
    assert f"({safefs.DEFAULT_MAX_PAGE_BYTES // 2**20} MB by default)" in text
    classes = sorted(p.stem for p in (REPO / "tests" / "security").glob("test_*.py"))
    assert len(classes) >= 8 and "docs/security.md" in (REPO / "README.md").read_text(encoding="utf-8")


def test_docs_links_and_commands_are_not_stale():
    """A link to a file that is gone, or a `qalam` command that does not exist, is a stale statement."""
    names = {name.split()[0] for name, _cmd in _leaf_commands(cli)}
    stale = []
    for doc in [REPO / "README.md", *sorted(DOCS.glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        prose = re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", text, flags=re.S))  # examples are not links
        for target in re.findall(r"\]\(([^)\s]+)\)", prose):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            path = (doc.parent / target.split("#", 1)[0]).resolve()
            if not path.exists():
                stale.append(f"{doc.name}: link to {target}")
        for command in re.findall(r"`(?:\.venv/bin/)?qalam (?:-v )?([a-z]+)\b", text):
            if command not in names:
                stale.append(f"{doc.name}: `qalam {command}` is not a command")
    assert stale == []
