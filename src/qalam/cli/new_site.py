"""`qalam new PATH`: a minimal trilingual (kk, ru, en) Grav `user/` folder that serves at once."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from qalam.content.files import atomic_write_text


def q(text: str) -> str:
    """A YAML single-quoted scalar."""
    return "'" + str(text).replace("'", "''") + "'"


class NewSiteError(Exception):
    """The folder cannot hold a new site (message says why and what to do)."""


def site_files(title: str, now: datetime) -> dict[str, str]:
    date = now.strftime("%d-%m-%Y %H:%M")
    slug = now.strftime("%Y-%m-%d") + "-site-opened"
    article = {
        "kk": ("Сайт ашылды", "Біздің жаңа сайтымыз жұмысын бастады.",
               "Мұнда жаңалықтар қазақ, орыс және ағылшын тілдерінде жарияланады."),
        "ru": ("Сайт открыт", "Наш новый сайт начал работу.",
               "Здесь новости публикуются на казахском, русском и английском языках."),
        "en": ("The site is open", "Our new site has started work.",
               "News is published here in Kazakh, Russian and English."),
    }
    home = {"kk": ("Басты бет", "Қош келдіңіз!"), "ru": ("Главная", "Добро пожаловать!"),
            "en": ("Home", "Welcome!")}
    news = {"kk": "Жаңалықтар", "ru": "Новости", "en": "News"}
    about = {"kk": ("Біз туралы", "Бұл бетке ұйым туралы мәлімет жазыңыз."),
             "ru": ("О нас", "Напишите на этой странице об организации."),
             "en": ("About us", "Write about your organisation on this page.")}
    files = {
        "config/system.yaml": (
            "# Grav's system settings (docs/configuration.md)\n"
            "timezone: Asia/Almaty\n"
            "languages:\n  supported: [kk, ru, en]\n  default_lang: kk\n  include_default_lang: true\n"
            "pages:\n  dateformat:\n    default: 'd-m-Y H:i'\n"
        ),
        "config/site.yaml": (
            f"title: {q(title)}\n"
            "# The public address: every absolute URL is built from it (docs/security.md).\n"
            "base_url: ''\n"
            "taxonomies: [category, tag]\n"
            "summary:\n  size: 300\n"
        ),
        "config/qalam.yaml": (
            "# Qalam's own settings (Grav ignores this file); docs/configuration.md lists them all.\n"
            "site_type: news\n"
        ),
        ".gitignore": ".qalam/\n",
    }
    for lang in ("kk", "ru", "en"):
        a_title, a_lead, a_body = article[lang]
        files[f"pages/01.home/default.{lang}.md"] = (
            f"---\ntitle: {q(home[lang][0])}\n---\n{home[lang][1]}\n"
        )
        files[f"pages/02.news/blog.{lang}.md"] = (
            f"---\ntitle: {q(news[lang])}\ncontent:\n  items: '@self.children'\n  order:\n    by: date\n"
            "    dir: desc\n  limit: 10\n  pagination: true\n---\n"
        )
        files[f"pages/02.news/{slug}/item.{lang}.md"] = (
            f"---\ntitle: {q(a_title)}\ndate: '{date}'\ntaxonomy:\n  category: [{q(news[lang])}]\n---\n"
            f"{a_lead}\n\n===\n\n{a_body}\n"
        )
        files[f"pages/03.about/default.{lang}.md"] = f"---\ntitle: {q(about[lang][0])}\n---\n{about[lang][1]}\n"
    return files


def create_site(path: str | Path, *, title: str = "Qalam", now: datetime | None = None) -> Path:
    """Write a new site into ``path`` (which must not exist, or be an empty folder); return it."""
    root = Path(path)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise NewSiteError(f"{path}: the folder exists and is not empty; give a new folder name")
    now = now or datetime.now(ZoneInfo("Asia/Almaty"))
    for rel, text in site_files(title, now).items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(target, text)
    return root
