"""Shared test helpers: throwaway site folders, a fixed clock, the in-process web client."""

from __future__ import annotations

import os
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the property tests with fixed examples (a red CI must be reproducible); locally
# hypothesis explores new examples on every run.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FIXTURE_SITES = SHARED / "fixtures" / "grav-sites"
SEEDS = SHARED / "fixtures" / "seeds"
DEMO = REPO / "examples" / "demo-site"

def seed_texts() -> list[str]:
    """The Kazakh texts the language tests read: the seed documents in ../shared when it is there,
    else the Kazakh pages of the demo site (one of which is the imported seed article), so the
    suite passes on a clone without ../shared too."""
    files = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    if files:
        return [p.read_text(encoding="utf-8") for p in files]
    texts = [p.read_text(encoding="utf-8").split("\n---\n", 1)[-1] for p in sorted(DEMO.glob("pages/**/*.kk.md"))]
    return [t for t in texts if len(t) > 1000]


#: "Now" for tests that depend on publication dates (the date this suite was written).
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def write_site(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write a site folder: keys are paths under the user folder, values file contents."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    (root / "pages").mkdir(exist_ok=True)
    return root


@pytest.fixture(scope="session", autouse=True)
def _drop_throwaway_databases():
    """The PostgreSQL pass (QALAM_TEST_POSTGRES_PASS) leaves no database behind."""
    yield
    from tests.web.newsroom_fixtures import drop_databases

    drop_databases()


@pytest.fixture
def make_site(tmp_path):
    """Build a site from a dict of files; returns an open :class:`Site` with the clock at NOW."""
    from qalam.content.site import Site

    opened = []

    def make(files: dict[str, str | bytes], *, now: datetime = NOW, **kwargs):
        root = write_site(tmp_path / f"site{len(opened)}", files)
        site = Site(root, state_dir=tmp_path / f"state{len(opened)}", clock=lambda: now, **kwargs)
        opened.append(site)
        return site

    yield make
    for site in opened:
        site.close()


@pytest.fixture
def client_for():
    """Django's test client serving a given site."""
    from django.test import Client

    from qalam.web.app import set_site

    def make(site):
        set_site(site)
        # A loopback host: a site without a base URL answers only loopback and its `qalam.hosts`.
        return Client(SERVER_NAME="localhost")

    return make


def open_fixture_site(name: str, tmp_path: Path, *, now: datetime = NOW, config: dict | None = None, sub: str = "user"):
    """Open one of the shared Grav fixture sites (read-only) with its index in tmp_path."""
    from qalam.content.site import Site

    path = FIXTURE_SITES / name / sub
    if not path.exists():
        pytest.skip(f"fixture site {name} is not available at {path}")
    return Site(path, state_dir=tmp_path / f"state-{name}", clock=lambda: now, config_overrides=config)
