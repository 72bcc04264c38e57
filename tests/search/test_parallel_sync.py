"""Indexing with several processes (`qalam index --jobs N`, `qalam build --jobs N`): pages are
rendered and analysed in forked processes and written by this one; the index is the same as
with one process."""

from __future__ import annotations

import random
import sqlite3

import pytest

from qalam.search import service as search_service
from qalam.search.service import SearchService
from tests.search.test_topk import WORDS


def site_files(n: int) -> dict[str, str]:
    rng = random.Random(4)
    files = {"config/system.yaml": "timezone: Asia/Almaty\n",
             "pages/01.news/blog.md": "---\ntitle: Жаңалықтар\ncontent:\n  items: '@self.children'\n---\n"}
    for i in range(n):
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 80)))
        extra = "publish_date: '2030-01-01 10:00'\n" if i % 17 == 0 else ""
        files[f"pages/01.news/{i:03d}.a/item.md"] = (
            f"---\ntitle: {' '.join(rng.sample(WORDS, 3))}\ndate: '2025-03-{1 + i % 28:02d} 09:{i % 60:02d}'\n"
            f"{extra}taxonomy:\n  tag: [{rng.choice(WORDS)}]\n---\n{body}\n")
    return files


def dump(path) -> dict:
    conn = sqlite3.connect(path)
    docs = conn.execute("SELECT id, key, lang, url, title, text, section, date_ts, pub_from, pub_until, version "
                        "FROM docs").fetchall()
    key = {row[0]: row[1] for row in docs}
    phrases = {row[0]: row[1:] for row in conn.execute("SELECT id, key, df, size, floor FROM phrases")}
    return {
        "docs": sorted(row[1:] for row in docs),
        "phrases": sorted(phrases.values()),
        "champions": sorted((phrases[p][0], impact, key[d])
                            for p, impact, d in conn.execute("SELECT pid, impact, doc FROM champions")),
        "fts": sorted((key[row[0]], *row[1:]) for row in conn.execute(
            "SELECT rowid, title, body, title_loose, body_loose, meta FROM fts")),
        "stats": sorted(conn.execute("SELECT key, value FROM meta WHERE key IN ('n_docs', 'n_tokens', 'avgdl0')")),
    }


@pytest.mark.parametrize("jobs", [2, 3])
def test_several_processes_make_the_same_index(make_site, monkeypatch, jobs):
    monkeypatch.setattr(search_service, "PARALLEL_MIN", 10)
    monkeypatch.setattr(search_service, "PARALLEL_WINDOW", 7)  # several windows
    files = site_files(60)
    one, several = make_site(files), make_site(files)
    reports = []
    for site, n in ((one, 1), (several, jobs)):
        svc = SearchService(site)
        reports.append(svc.sync(refresh=False, jobs=n, batch=16))
        svc.backend.close()
    assert reports[0].added == reports[1].added == 61
    a, b = dump(one.state_dir / "search.sqlite3"), dump(several.state_dir / "search.sqlite3")
    # Versions carry the files' modification times, which differ between the two copies.
    strip = lambda docs: [row[:-1] for row in docs]  # noqa: E731
    assert strip(a.pop("docs")) == strip(b.pop("docs"))
    assert a == b and a["champions"]
    assert any(row[7] is not None for row in dump(several.state_dir / "search.sqlite3")["docs"])  # windows kept
