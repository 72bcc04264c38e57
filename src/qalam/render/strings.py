"""The theme's interface strings in Kazakh, Russian and English.

A site can override or add strings in ``user/languages/<lang>.yaml`` under a
``QALAM:`` key (Grav keeps UI strings in ``user/languages``), e.g.
``QALAM: {read_more: "Толығырақ"}``.
"""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "read_more": {"kk": "Толығырақ", "ru": "Читать далее", "en": "Read more"},
    "continue_reading": {"kk": "Жалғасын оқу", "ru": "Читать полностью", "en": "Continue reading"},
    "previous": {"kk": "Алдыңғы", "ru": "Назад", "en": "Previous"},
    "next": {"kk": "Келесі", "ru": "Далее", "en": "Next"},
    "page_n_of_m": {"kk": "{n}-бет, барлығы {m}", "ru": "Страница {n} из {m}", "en": "Page {n} of {m}"},
    "not_found_title": {"kk": "Бет табылмады", "ru": "Страница не найдена", "en": "Page not found"},
    "not_found_text": {
        "kk": "Сіз іздеген бет жоқ немесе жойылған.",
        "ru": "Запрошенная страница не существует или была удалена.",
        "en": "The page you asked for does not exist or was removed.",
    },
    "back_home": {"kk": "Басты бетке оралу", "ru": "На главную", "en": "Back to the home page"},
    "tags": {"kk": "Тегтер", "ru": "Теги", "en": "Tags"},
    "category": {"kk": "Санат", "ru": "Рубрика", "en": "Category"},
    "latest": {"kk": "Соңғы жаңалықтар", "ru": "Последние новости", "en": "Latest"},
    "featured": {"kk": "Басты материалдар", "ru": "Главное", "en": "Featured"},
    "sections": {"kk": "Бөлімдер", "ru": "Разделы", "en": "Sections"},
    "language": {"kk": "Тіл", "ru": "Язык", "en": "Language"},
    "menu": {"kk": "Мәзір", "ru": "Меню", "en": "Menu"},
    "filtered_by": {"kk": "Сүзгі", "ru": "Фильтр", "en": "Filtered by"},
    "no_items": {"kk": "Әзірге жазба жоқ.", "ru": "Пока нет записей.", "en": "Nothing here yet."},
    "view_all_of": {"kk": "Толық оқу: «{title}»", "ru": "Читать полностью: «{title}»", "en": "View all of “{title}”"},
    "skip_to_content": {"kk": "Мазмұнға өту", "ru": "Перейти к содержанию", "en": "Skip to content"},
    "share": {"kk": "Бөлісу", "ru": "Поделиться", "en": "Share"},
    "photo_badge": {"kk": "ФОТО", "ru": "ФОТО", "en": "PHOTO"},
    "photo_credit": {"kk": "Фото", "ru": "Фото", "en": "Photo"},
    "source": {"kk": "Дереккөз", "ru": "Источник", "en": "Source"},
    "authors": {"kk": "Авторы", "ru": "Автор", "en": "By"},
    "related": {"kk": "Бұған дейін жазған едік", "ru": "Ранее мы писали", "en": "We wrote earlier"},
    "author_page": {"kk": "Автордың материалдары", "ru": "Материалы автора", "en": "Articles by"},
    "search": {"kk": "Іздеу", "ru": "Поиск", "en": "Search"},
    "search_placeholder": {"kk": "Сайттан іздеу", "ru": "Поиск по сайту", "en": "Search the site"},
    "results_count": {"kk": "Табылды: {n}", "ru": "Найдено: {n}", "en": "Found: {n}"},
    "no_results": {
        "kk": "Ештеңе табылмады. Басқа сөзбен іздеп көріңіз.",
        "ru": "Ничего не найдено. Попробуйте другие слова.",
        "en": "Nothing found. Try other words.",
    },
    "powered_by": {"kk": "Qalam негізінде", "ru": "Работает на Qalam", "en": "Powered by Qalam"},
    "outlets_title": {"kk": "Өзгелердің жаңалығы", "ru": "Новости других СМИ", "en": "Other outlets' news"},
    # View counter and most-read lists (news/counter.py)
    "most_read": {"kk": "Ең көп оқылған", "ru": "Самое читаемое", "en": "Most read"},
    "last_24_hours": {"kk": "24 сағат", "ru": "24 часа", "en": "24 hours"},
    "last_7_days": {"kk": "7 күн", "ru": "7 дней", "en": "7 days"},
    "views": {"kk": "Қаралым", "ru": "Просмотры", "en": "Views"},
    "views_n": {"kk": "{n} рет қаралды", "ru": "Просмотров: {n}", "en": "Views: {n}"},
    "most_read_all": {"kk": "Барлық көп оқылғандар", "ru": "Всё самое читаемое", "en": "All most read"},
    "most_read_empty": {
        "kk": "Бұл кезеңде әзірге қаралым жоқ.",
        "ru": "За этот период пока нет просмотров.",
        "en": "No views in this period yet.",
    },
}

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


def ui_string(key: str, lang: str, site=None, **fmt) -> str:
    """A UI string in ``lang`` (English when missing), with ``{name}`` placeholders filled.

    The site's own strings (``user/languages/<lang>.yaml``) come first when ``site`` is given.
    """
    override = site.ui_strings(lang).get(key) if site is not None and hasattr(site, "ui_strings") else None
    text = override or STRINGS.get(key, {}).get(lang) or STRINGS.get(key, {}).get("en") or key
    return text.format(**fmt) if fmt else text


def language_name(code: str) -> str:
    if code in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[code]
    try:
        from babel import Locale

        return Locale.parse(code).get_display_name(code).capitalize()
    except Exception:  # noqa: BLE001 — any unknown code just shows itself
        return code
