"""Shared fragments (render/fragments.py): the sidebar is rendered once and stays correct."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from qalam.news import counter
from qalam.render import theme

from ..conftest import write_site

NOW = datetime(2026, 3, 10, 12, tzinfo=timezone.utc)


def article(title: str, date: str, extra: str = "") -> str:
    return f"---\ntitle: '{title}'\ndate: '{date}'\n{extra}---\nМәтін {title}.\n"


def aside(html: str) -> str:
    return html[html.index('<aside class="sidebar">'):html.index("</aside>")]


def test_the_sidebar_is_rendered_once_and_follows_content_schedule_and_views(tmp_path, client_for):
    from qalam.content.site import Site

    clock = {"now": NOW}
    root = write_site(tmp_path / "site", {
        "config/site.yaml": "title: Газет\ndefault_lang: kk\n",
        "config/system.yaml": "languages:\n  supported: [kk]\n",
        "pages/01.news/blog.md": "---\ntitle: Жаңалықтар\ncontent:\n  items: '@self.children'\n---\n",
        "pages/01.news/a/item.md": article("Бірінші", "01-03-2026 10:00"),
        "pages/01.news/b/item.md": article("Екінші", "02-03-2026 10:00"),
        "pages/01.news/c/item.md": article("Кейінгі", "11-03-2026 09:00", "publish_date: '11-03-2026 09:00'\n"),
    })
    site = Site(root, state_dir=tmp_path / "state", clock=lambda: clock["now"])
    try:
        client = client_for(site)
        env = theme.environment(site)
        calls = []
        most_read = env.globals["most_read"]
        env.globals["most_read"] = lambda *a, **k: calls.append(a) or most_read(*a, **k)

        first = aside(client.get("/kk/news/a").content.decode())
        second = aside(client.get("/kk/news/b").content.decode())
        assert first == second and "Бірінші" in first and "Екінші" in first
        assert "Кейінгі" not in first  # scheduled for tomorrow
        assert len(calls) == 2  # the two most-read windows, for the first page only

        # The same HTML as rendering it for every page.
        stamp, env.shared_stamp = env.shared_stamp, None
        try:
            assert aside(client.get("/kk/news/b").content.decode()) == second
        finally:
            env.shared_stamp = stamp

        # A new article: a new content version, a new sidebar.
        (root / "pages/01.news/d").mkdir()
        (root / "pages/01.news/d/item.md").write_text(article("Жаңа", "05-03-2026 10:00"), encoding="utf-8")
        site.refresh()
        assert "Жаңа" in aside(client.get("/kk/news/a").content.decode())

        # The scheduled article appears when its time comes, without any file changing.
        clock["now"] = NOW + timedelta(days=1)
        assert "Кейінгі" in aside(client.get("/kk/news/a").content.decode())

        # Views counted and written: "most read" is rendered again.
        views = counter.for_site(site)
        views.clock = lambda: clock["now"].timestamp()
        before = len(calls)
        views.hit("kk:01.news/b")
        views.flush()
        html = aside(client.get("/kk/news/a").content.decode())
        assert len(calls) > before and "most-read" in html
    finally:
        site.close()
