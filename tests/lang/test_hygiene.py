"""Kazakh text hygiene: mixed scripts, foreign look-alike letters, straight quotes, hyphens as dashes."""

from __future__ import annotations

import pytest

from qalam.lang.hygiene import apply, check, fix_all


def kinds(text, lang="kk"):
    return [(f.kind, f.found, f.fix) for f in check(text, lang)]


@pytest.mark.parametrize("word, fixed", [
    ("Қaзақстан", "Қазақстан"),   # Latin a
    ("бiлiм", "білім"),           # Latin i for і
    ("əкім", "әкім"),             # IPA schwa U+0259
    ("Ақпaрат", "Ақпарат"),
    ("cөз", "сөз"),               # Latin c
    ("Qазақ", "Qазақ"),           # anchors in both scripts (a brand): left alone
])
def test_mixed_words(word, fixed):
    found = check(f"Бүгін {word} туралы", "kk")
    if word == fixed:
        assert found == []
    else:
        assert [(f.kind, f.found, f.fix) for f in found] == [("mixed", word, fixed)]


@pytest.mark.parametrize("word, fixed", [("ҡала", "қала"), ("мɵлшер", "мөлшер"), ("аӈыз", "аңыз"), ("ӻалым", "ғалым")])
def test_letters_from_other_alphabets(word, fixed):
    assert kinds(word) == [("letter", word, fixed)]


def test_latin_word_with_a_cyrillic_letter_becomes_latin():
    assert kinds("Qazaqstаn jañalyğy", "kk") == [("mixed", "Qazaqstаn", "Qazaqstan")]


def test_quotes_and_dashes_in_kazakh_and_russian():
    assert kinds('Әкім "жаңа" жобаны ашты - тұрғындар риза.') == [
        ("quotes", '"жаңа"', "«жаңа»"), ("dash", " -", "\u00a0—")]
    assert kinds('Он сказал -- "да".', "ru") == [("dash", " --", "\u00a0—"), ("quotes", '"да"', "«да»")]
    assert kinds('He said "yes" - twice.', "en") == []  # English keeps its own typography


@pytest.mark.parametrize("text", [
    "- тізімнің бірінші жолы",                # a list bullet
    "1990-2000 жылдар",                       # a range
    "Алма-Ата",                               # a hyphenated word
    '`код "x" - y`',                          # inline code
    '```\nprint("сәлем") - 1\n```',           # a code block
    '[сілтеме](https://example.kz/a-b "тақырып")',  # a link target and title
    '<img alt="сурет" src="a.jpg">',          # an HTML tag
    "Хат: aigul@example.kz, https://example.kz/iнфо",
])
def test_code_links_tags_lists_and_ranges_are_left_alone(text):
    assert check(text, "kk") == []


def test_invisible_characters_inside_words():
    assert kinds("сөз\u00adдер") == [("invisible", "сөз\u00adдер", "сөздер")]


def test_apply_fixes_only_what_is_still_there():
    text = 'Қaзақстан "жаңа"'
    first = check(text)[0]
    assert apply(text, first) == 'Қазақстан "жаңа"'
    assert apply("басқа мәтін", first) == "басқа мәтін"  # the text changed: nothing happens
    assert apply(text, first.as_dict()) == 'Қазақстан "жаңа"'


def test_fix_all_keeps_offsets_right():
    text = 'бiлiм "бір" - Қaзақ "екі" - сөз'
    assert fix_all(text) == "білім «бір»\u00a0— Қазақ «екі»\u00a0— сөз"
    assert check(fix_all(text)) == []


def test_clean_seed_like_text_has_no_findings():
    text = "Қазақстан Республикасының Денсаулық сақтау министрлігі «жаңа» бағдарлама туралы хабарлады — 2026 жыл."
    assert check(text) == []
