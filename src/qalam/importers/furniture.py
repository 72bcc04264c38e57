"""Page furniture: the labels a scraper saved along with an article, which are not the article.

Share buttons ("Бөлісу:", "Поделиться:"), photo badges ("PHOTO"), print links, and the labels
of the blocks that follow an article ("Өзгелердің жаңалығы" — other outlets' news,
"Другие новости", comments).  A line is furniture when, after trimming spaces and a
trailing ``:``/``.``, it equals a label (any letter case).  Two kinds:

* ``drop`` — the line is removed wherever it stands;
* ``end`` — the label starts a block that is not part of the article: the line and
  everything after it are removed (only once the body has started, so a sidebar saved
  above the headline does not swallow the article).

The defaults below cover Kazakh, Russian and English news pages.  A site adds its own in
``user/config/qalam.yaml`` (Qalam's settings file; Grav ignores it)::

    import:
      furniture:
        - 'Жарнама'                               # a label: drop the line
        - {text: 'Редакция ұсынады', end: true}   # drop it and everything after it
        - {regex: '^Просмотров: \\d+$'}           # a regular expression (whole line)
      furniture_defaults: true                    # false: use only the site's list
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["FurnitureRule", "Furniture", "FurnitureConfigError", "DEFAULT_DROP", "DEFAULT_END", "load_furniture"]

#: Lines removed wherever they stand.
DEFAULT_DROP: tuple[str, ...] = (
    # share buttons and tools
    "Бөлісу", "Бөлісіңіз", "Әлеуметтік желілерде бөлісу", "Поделиться", "Поделитесь", "Поделиться в соцсетях",
    "Share", "Share this", "Share on", "Көшіру", "Сілтемені көшіру", "Копировать ссылку", "Скопировать ссылку",
    "Copy link", "Басып шығару", "Печать", "Версия для печати", "Print",
    "Facebook", "Twitter", "VK", "ВКонтакте", "Вконтакте", "Telegram", "WhatsApp", "Одноклассники",
    "Instagram", "YouTube", "TikTok",
    # badges
    "PHOTO", "ФОТО", "VIDEO", "ВИДЕО", "БЕЙНЕ", "INFOGRAPHICS", "ИНФОГРАФИКА", "LIVE", "ОНЛАЙН",
    # advertising
    "Жарнама", "Реклама", "Advertisement", "Партнерский материал", "Серіктес материалы",
)  # fmt: skip
#: Labels of blocks after the article: the label and the rest are removed.
DEFAULT_END: tuple[str, ...] = (
    "Өзгелердің жаңалығы", "Өзгелердің жаңалықтары", "Басқа жаңалықтар", "Соңғы жаңалықтар", "Ұқсас жаңалықтар",
    "Тақырып бойынша", "Пікірлер", "Пікір қалдыру", "Пікір жазу",
    "Другие новости", "Новости партнеров", "Новости партнёров", "Последние новости", "Похожие новости",
    "Новости по теме", "Комментарии", "Оставить комментарий", "Добавить комментарий",
    "Other news", "Latest news", "Related news", "More news", "Comments", "Leave a comment",
)  # fmt: skip


def _norm(line: str) -> str:
    text = unicodedata.normalize("NFC", line).replace("\u00a0", " ")
    text = re.sub(r"\s+", " ", text).strip().strip("•·|–—-").strip()
    text = text.rstrip(":.…").strip()
    return text.casefold()


@dataclass(frozen=True)
class FurnitureRule:
    text: str | None = None
    regex: re.Pattern[str] | None = None
    end: bool = False
    origin: str = "default"  # "default" or the config file that added it

    def matches(self, line: str, normalized: str) -> bool:
        if self.regex is not None:
            return bool(self.regex.fullmatch(line.strip()))
        return normalized == self.text


class Furniture:
    """The furniture rules of one import run."""

    def __init__(self, rules: list[FurnitureRule]):
        self.rules = rules
        self._exact = {r.text: r for r in rules if r.text is not None}
        self._regex = [r for r in rules if r.regex is not None]

    @classmethod
    def defaults(cls) -> Furniture:
        return cls([FurnitureRule(_norm(t)) for t in DEFAULT_DROP] + [FurnitureRule(_norm(t), end=True) for t in DEFAULT_END])

    def match(self, line: str) -> FurnitureRule | None:
        """The rule a line matches, or None when the line is content."""
        if not line.strip() or len(line) > 200:
            return None
        normalized = _norm(line)
        hit = self._exact.get(normalized)
        if hit is not None:
            return hit
        for rule in self._regex:
            if rule.matches(line, normalized):
                return rule
        return None


class FurnitureConfigError(ValueError):
    pass


def load_furniture(config=None) -> Furniture:
    """Defaults plus the site's ``qalam.import.furniture`` (a :class:`qalam.content.config.Config`).

    Raises :class:`FurnitureConfigError` naming ``config/qalam.yaml`` and the entry when the
    list cannot be used.
    """
    if config is None:
        return Furniture.defaults()
    where_file = "config/qalam.yaml"
    for problem in getattr(config, "problems", []):
        if str(problem.path).endswith("qalam.yaml"):
            raise FurnitureConfigError(f"{problem} — fix it before importing")
    settings = config.get("qalam.import") or {}
    if not isinstance(settings, dict):
        raise FurnitureConfigError(f"{where_file}: import: must be a mapping (furniture: [...])")
    use_defaults = settings.get("furniture_defaults", True) not in (False, "false", "no", 0)
    rules = list(Furniture.defaults().rules) if use_defaults else []
    entries = settings.get("furniture") or []
    if not isinstance(entries, list):
        raise FurnitureConfigError(f"{where_file}: import.furniture: must be a list of labels, e.g. ['Жарнама']")
    for n, entry in enumerate(entries, 1):
        where = f"{where_file}: import.furniture entry {n}"
        if isinstance(entry, (str, int, float)) and not isinstance(entry, bool):
            rules.append(FurnitureRule(_norm(str(entry)), origin=where_file))
            continue
        if not isinstance(entry, dict) or not ({"text", "regex"} & set(entry)):
            raise FurnitureConfigError(f"{where}: write a label, or {{text: ..., end: true}}, or {{regex: ...}}")
        end = entry.get("end", False) in (True, "true", "yes", 1)
        if "regex" in entry:
            try:
                pattern = re.compile(str(entry["regex"]))
            except re.error as err:
                raise FurnitureConfigError(f"{where}: bad regular expression {entry['regex']!r}: {err}") from None
            rules.append(FurnitureRule(regex=pattern, end=end, origin=where_file))
        else:
            rules.append(FurnitureRule(_norm(str(entry["text"])), end=end, origin=where_file))
    return Furniture(rules)
