"""A small trilingual news site for the newsroom's tests (written fresh for each test)."""

from __future__ import annotations

import pytest

NEWS_SITE = {
    "config/system.yaml": """
        timezone: Asia/Almaty
        languages:
          supported: [kk, ru]
          default_lang: kk
          include_default_lang: true
        home:
          alias: /home
        """,
    "config/site.yaml": "title: Test\n",
    "pages/01.home/default.kk.md": "---\ntitle: Басты бет\n---\nСәлем\n",
    "pages/02.news/blog.kk.md": "---\ntitle: Жаңалықтар\ncontent:\n  items: '@self.children'\n---\n",
    "pages/02.news/blog.ru.md": "---\ntitle: Новости\ncontent:\n  items: '@self.children'\n---\n",
    "pages/02.news/old-story/item.kk.md": "---\ntitle: Ескі жаңалық\ndate: '01-11-2026 10:00'\n---\nБұрынғы мәтін\n",
}


@pytest.fixture
def news_site(make_site):
    return make_site(NEWS_SITE)
