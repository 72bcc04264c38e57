"""qalam.lang.analyze: the one pipeline for search indexing and queries."""

from __future__ import annotations

import dataclasses
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qalam.lang import Token, analyze, loose_key

from ..conftest import seed_texts


def terms(text: str, lang: str = "kk") -> list[str]:
    return [t.term for t in analyze(text, lang)]


def test_token_shape():
    (tok,) = analyze("Дәрігерлердің", "kk")
    assert tok == Token(term="däriger", loose="dariger", start=0, end=13, word="Дәрігерлердің")
    with pytest.raises(dataclasses.FrozenInstanceError):
        tok.term = "x"  # type: ignore[misc]


def test_latin_query_meets_cyrillic_text():
    text = analyze("Ресейден келген дәрігерлер өңірлерге де барады", "kk")
    query = analyze("däriger", "kk")[0]
    assert query.term in {t.term for t in text}
    assert analyze("därıgerlerdıñ", "kk")[0].term == query.term == analyze("дәрігерлердің", "kk")[0].term
    loose = analyze("dariger", "kk")[0]
    assert loose.loose == query.loose == analyze("дәрігерлердің", "kk")[0].loose == "dariger"


def test_russian_keyboard_spelling_meets_at_the_loose_key():
    assert analyze("казакстан", "kk")[0].loose == analyze("Қазақстан", "kk")[0].loose


def test_tokenisation():
    toks = analyze("Нұр-Сұлтан, BAQ.KZ тілшісі. COVID-19 O'Brien 21:35", "kk")
    assert [t.word for t in toks] == ["Нұр", "Сұлтан", "BAQ", "KZ", "тілшісі", "COVID", "19", "O'Brien", "21", "35"]
    assert [t.term for t in toks][:5] == ["nūr", "sūltan", "baq", "kz", "tilşi"]
    assert toks[7].term == "obrien"
    assert toks[6].term == "19"


def test_offsets_point_into_the_original_text():
    text = "  «Қaзaқстaн» дәрі\u00adгерлері\u200b!  \ufeffБүгін"
    toks = analyze(text, "kk")
    for t in toks:
        assert text[t.start:t.end] == t.word
    assert [t.term for t in toks] == ["qazaqstan", "däriger", "bügin"]
    assert toks[1].word == "дәрі\u00adгерлері"


def test_russian_and_english():
    assert terms("Москвы и Москва", "ru") == ["москв", "и", "москв"]
    assert analyze("Москвы", "ru")[0].loose == "moskv"
    assert terms("The doctors were running", "en") == ["the", "doctor", "were", "run"]
    assert terms("Ёлки", "ru") == ["елк"]
    assert terms("Häuser", "de") == ["häuser"]


def test_seed_texts():
    texts = seed_texts()
    assert texts
    for text in texts:
        toks = analyze(text, "kk")
        assert len(toks) > 100
        for t in toks:
            assert text[t.start:t.end] == t.word
            assert t.term and t.loose.isascii()


def test_hostile_input():
    assert analyze("", "kk") == []
    assert analyze("!!! 🙂 — ...", "kk") == []
    assert analyze("\u200b\u00ad", "kk") == []
    for text in ["\x00\x01сөз\x1b", "\u202eсөз\u202c עברית العربية", "a" * 1_000_000]:
        for t in analyze(text, "kk"):
            assert text[t.start:t.end] == t.word
    long_word = "ә" * 1000
    (tok,) = analyze(long_word, "kk")
    assert tok.word == long_word and len(tok.term) == 64


def test_one_megabyte_is_fast():
    text = max(seed_texts(), key=len)
    big = (text * (1_000_000 // len(text) + 1))[:1_000_000]
    t0 = time.perf_counter()
    toks = analyze(big, "kk")
    assert time.perf_counter() - t0 < 10
    assert len(toks) > 100_000


@given(st.text(), st.sampled_from(["kk", "ru", "en", "xx", ""]))
def test_offsets_always_slice_the_original_text(text, lang):
    for t in analyze(text, lang):
        assert text[t.start:t.end] == t.word
        assert t.term
        assert t.loose == loose_key(t.term)


@given(st.lists(st.sampled_from(["дәрігер", "Қазақстан", "ЮНЕСКО", "қаласындағы", "сөз", "Алматы"]), max_size=8))
def test_cyrillic_text_and_its_transliteration_give_the_same_terms(words):
    from qalam.lang import to_latin

    text = " ".join(words)
    assert terms(text) == terms(to_latin(text))
