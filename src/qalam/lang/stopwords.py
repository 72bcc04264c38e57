"""Question and function words of Kazakh, Russian and English (written for Qalam, MIT).

A reader's question — «1946 жылы АҚШ президенті кім болды?» — carries its meaning in a few
words (АҚШ, президенті, 1946); the rest ask (кім, қашан, кто, when) or bind (және, и, the).
Search leaves these out of the match when the query has other words (qalam.search), so a
question finds the passage that answers it. Lists are short on purpose: only words that are
never what a reader searches for.
"""

from __future__ import annotations

import functools

WORDS = {
    "kk": """
        кім кімнің кімге кімді кімде кімнен кіммен не ненің неге нені неде неден немен неше қанша
        нешінші қай қайда қайдан қайда қашан қалай қандай қайсы неліктен неге несі ма ме ба бе па пе
        ғой ғана да де та те және мен бен пен әрі немесе бірақ сондай сол осы бұл ол олар ол оның
        сонда мұнда осында үшін туралы дейін кейін бойынша арқылы деп деген дейді еді екен болды
        болған болып бар жоқ ең өте тағы әлі
    """,
    "ru": """
        кто кого кому кем ком что чего чему чем где куда откуда когда как какой какая какое какие
        каков сколько почему зачем чей чья чьё чьи который которая которое которые ли же бы ни не
        и а но или да в во на с со к ко по о об обо от до из у за для при без над под про через
        это этот эта эти тот та то те он она оно они его её их был была было были есть быть является
    """,
    "en": """
        who whom whose what which when where why how is are was were be been being do does did
        the a an of in on at to for from by with about as and or but not no if than that this these
        those it its there their they he she his her has have had
    """,
}


@functools.lru_cache(maxsize=8)
def stop_terms(lang: str) -> frozenset[str]:
    """The analysed terms (stems) of ``lang``'s question and function words."""
    from .analyze import analyze

    words = WORDS.get((lang or "").split("-")[0], "")
    return frozenset(t.term for t in analyze(" ".join(words.split()), lang) if t.term)
