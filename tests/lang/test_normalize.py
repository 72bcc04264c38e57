"""qalam.lang.normalize: NFC, invisible characters, look-alike letters, Turkic case folding."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from qalam.lang import fold_case, normalize


def test_empty_and_ascii_pass_through():
    assert normalize("") == ""
    assert normalize("Hello, world! 123") == "Hello, world! 123"


def test_nfc():
    decomposed = "и\u0306ы"  # и + combining breve
    assert normalize(decomposed) == "йы"
    assert normalize("е\u0308лка") == "ёлка"
    assert normalize("A\u0308") == "Ä"


def test_invisible_characters_removed():
    assert normalize("дәрі\u00adгер") == "дәрігер"
    for ch in "\u200b\u200c\u200d\u2060\ufeff":
        assert normalize(f"қа{ch}ла") == "қала", repr(ch)
    assert normalize("\ufeffБүгін") == "Бүгін"


def test_zero_width_joiner_kept_inside_emoji():
    family = "👨\u200d👩\u200d👧"
    assert normalize(family) == family
    assert normalize("сөз\u200dсөз") == "сөзсөз"


def test_latin_lookalikes_in_cyrillic_words():
    assert normalize("Қaзaқстaн") == "Қазақстан"  # Latin a
    assert normalize("дәрiгер") == "дәрігер"  # Latin i -> Kazakh і
    assert normalize("Ақтөбe") == "Ақтөбе"
    assert normalize("Oлар") == "Олар"
    assert normalize("caфe") == "сафе"
    assert normalize("KАЗАҚ") == "КАЗАҚ"
    assert normalize("Рecпублика") == "Республика"
    assert normalize("Hұр-Сұлтан") == "Нұр-Сұлтан"


def test_kazakh_letters_from_latin_and_other_alphabets():
    assert normalize("äлем") == "әлем"
    assert normalize("\u0259лем") == "әлем"  # Latin schwa
    assert normalize("\u018fлем") == "Әлем"
    assert normalize("öнер") == "өнер"
    assert normalize("ɵнер") == "өнер"
    assert normalize("ѳнер") == "өнер"
    assert normalize("üй") == "үй"
    assert normalize("ɏлт") == "ұлт"
    assert normalize("ҡазаҡ") == "қазақ"  # Bashkir qa
    assert normalize("ӄала") == "қала"
    assert normalize("ӈ") == "ң"
    assert normalize("ӻылым") == "ғылым"
    assert normalize("к\u0327азақ") == "қазақ"  # к + combining cedilla
    assert normalize("та\u0301ң") == "та́ң"  # an accent stays an accent
    assert normalize("мын\u0326") == "мың"
    assert normalize("г\u0335ылым") == "ғылым"
    assert normalize("hаһ") == "һаһ"


def test_cyrillic_lookalikes_in_latin_words():
    assert normalize("Qаzаqstan") == "Qazaqstan"  # Cyrillic а in a Latin Kazakh word
    assert normalize("Gооgle") == "Google"
    assert normalize("bіlіm") == "bilim"


def test_words_of_one_script_are_never_touched():
    for text in ("Hello", "Cafe", "Qazaqstan", "Қазақстан", "Москва", "COVID-19", "Ca", "iPhone-ға"):
        assert normalize(text) == text


def test_ambiguous_words_follow_their_majority_or_stay():
    assert normalize("Сoк") == "Сок"  # only look-alikes: 2 Cyrillic, 1 Latin
    assert normalize("Qазақ") == "Qазақ"  # anchors of both scripts: left alone


def test_fold_case_turkic_i_for_kazakh_latin():
    assert fold_case("İlim") == "ilim"
    assert fold_case("Ilım") == "ılım"
    assert fold_case("BILIM") == "bılım"
    assert fold_case("QAZAQSTAN") == "qazaqstan"
    assert fold_case("ŞILDE") == "şılde"
    assert fold_case("İ") == "i" and len(fold_case("İ")) == 1


def test_fold_case_cyrillic_and_other_languages():
    assert fold_case("ҚАЗАҚСТАН") == "қазақстан"
    assert fold_case("ЁЛКА") == "ёлка"  # ё is kept
    assert fold_case("Іле") == "іле"
    assert fold_case("I am", "en") == "i am"
    assert fold_case("") == ""


def test_hostile_input():
    for text in ["\x00\x01\x1b[31m", "\u202eabc\u202c", "עברית ועוד", "العربية", "🙂" * 1000, "\ud7ff", "a\u0300" * 50]:
        assert isinstance(normalize(text), str)
        assert isinstance(fold_case(text), str)
    big = ("Қaзaқстaн дәрiгерлері \u00ad👍 " * 40000)[:1_000_000]
    t0 = time.perf_counter()
    out = normalize(big)
    assert time.perf_counter() - t0 < 10
    assert "Қазақстан" in out and "\u00ad" not in out
    huge_word = "a" * 500_000 + "ә" * 500_000
    assert len(normalize(huge_word)) == 1_000_000


@given(st.text())
def test_normalize_never_raises_and_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


@given(st.text())
def test_fold_case_never_raises(text):
    assert isinstance(fold_case(text), str)
    assert isinstance(fold_case(text, "ru"), str)
