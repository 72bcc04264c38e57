"""qalam.lang.translit: the 2021 Kazakh Latin alphabet, the way back, and matching keys."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qalam.lang import fold_case, loose_key, script_key, to_cyrillic, to_latin
from qalam.lang.translit import LATIN_ALPHABET

# The official table, letter by letter (small letters).
TABLE = [
    ("а", "a"), ("ә", "ä"), ("б", "b"), ("в", "v"), ("г", "g"), ("ғ", "ğ"), ("д", "d"), ("е", "e"),
    ("ё", "io"), ("ж", "j"), ("з", "z"), ("и", "i"), ("й", "i"), ("к", "k"), ("қ", "q"), ("л", "l"),
    ("м", "m"), ("н", "n"), ("ң", "ñ"), ("о", "o"), ("ө", "ö"), ("п", "p"), ("р", "r"), ("с", "s"),
    ("т", "t"), ("у", "u"), ("ұ", "ū"), ("ү", "ü"), ("ф", "f"), ("х", "h"), ("һ", "h"), ("ц", "ts"),
    ("ч", "tş"), ("ш", "ş"), ("щ", "şş"), ("ъ", ""), ("ы", "y"), ("і", "ı"), ("ь", ""), ("э", "e"),
    ("ю", "iu"), ("я", "ia"),
]  # fmt: skip
# Capitals alone (a one-letter word is Title case) and inside an all-caps word.
CAPITALS = [
    ("А", "A"), ("Ә", "Ä"), ("Б", "B"), ("В", "V"), ("Г", "G"), ("Ғ", "Ğ"), ("Д", "D"), ("Е", "E"),
    ("Ё", "Io"), ("Ж", "J"), ("З", "Z"), ("И", "İ"), ("Й", "İ"), ("К", "K"), ("Қ", "Q"), ("Л", "L"),
    ("М", "M"), ("Н", "N"), ("Ң", "Ñ"), ("О", "O"), ("Ө", "Ö"), ("П", "P"), ("Р", "R"), ("С", "S"),
    ("Т", "T"), ("У", "U"), ("Ұ", "Ū"), ("Ү", "Ü"), ("Ф", "F"), ("Х", "H"), ("Һ", "H"), ("Ц", "Ts"),
    ("Ч", "Tş"), ("Ш", "Ş"), ("Щ", "Şş"), ("Ъ", ""), ("Ы", "Y"), ("І", "I"), ("Ь", ""), ("Э", "E"),
    ("Ю", "Iu"), ("Я", "Ia"),
]  # fmt: skip


def test_table_has_every_letter_of_the_kazakh_cyrillic_alphabet():
    assert len(TABLE) == 42 == len(CAPITALS)
    assert [c.upper() for c, _ in TABLE] == [c for c, _ in CAPITALS]
    latin_letters = {ch for _, lat in TABLE for ch in lat}
    assert latin_letters == {fold_case(letter) for letter in LATIN_ALPHABET}  # all 31 letters are used
    assert len(LATIN_ALPHABET) == 31


@pytest.mark.parametrize(("cyr", "lat"), TABLE)
def test_small_letter(cyr, lat):
    assert to_latin(cyr) == lat
    assert to_latin(f"ж{cyr}ж") == f"j{lat}j"


@pytest.mark.parametrize(("cyr", "lat"), CAPITALS)
def test_capital_letter(cyr, lat):
    assert to_latin(cyr) == lat
    assert to_latin(f"{cyr}ж") == lat + "j"  # Title case: only the first letter is a capital
    assert to_latin(f"Ж{cyr}Ж") == f"J{lat.upper()}J"  # all caps stays all caps


def test_words():
    assert to_latin("Шілде") == "Şılde"
    assert to_latin("ЮНЕСКО") == "IUNESKO"
    assert to_latin("Юлия") == "Iuliia"
    assert to_latin("Щучинск") == "Şşutşinsk"
    assert to_latin("ВИЧ") == "VİTŞ"
    assert to_latin("ЦОН") == "TSON"
    assert to_latin("Қазақстан Республикасы") == "Qazaqstan Respublikasy"
    assert to_latin("Ресейден келген дәрігерлер өңірлерге де барады") == (
        "Reseiden kelgen därıgerler öñırlerge de barady"
    )
    assert to_latin("Нұр-Сұлтан, BAQ.KZ тілшісі.") == "Nūr-Sūltan, BAQ.KZ tılşısı."
    assert to_latin("6 Шілде 2020, 21:35") == "6 Şılde 2020, 21:35"
    assert to_latin("ҚАЗАҚСТАН") == "QAZAQSTAN"
    assert to_latin("Ілияс") == "Iliias"


def test_non_kazakh_text_passes_predictably():
    assert to_latin("Объединённые Нации") == "Obedinionnye Natsii"
    assert to_latin("Съезд") == "Sezd"
    assert to_latin("Hello world") == "Hello world"
    assert to_latin("Hello мир") == "Hello mir"
    assert to_latin("їжак ґанок") == "їjak ґanok"  # letters outside the table are copied
    assert to_latin("") == ""
    assert to_latin("«Гематология орталығы» ЖШС") == "«Gematologiia ortalyğy» JŞS"


def test_to_cyrillic_reads_the_most_frequent_kazakh_spelling():
    assert to_cyrillic("Qazaqstan Respublikasy") == "Қазақстан Республикасы"
    assert to_cyrillic("Şılde") == "Шілде"
    assert to_cyrillic("därıgerlerdıñ") == "дәрігерлердің"
    assert to_cyrillic("aiu") == "аю"
    assert to_cyrillic("Aziia") == "Азия"
    assert to_cyrillic("iağni") == "яғни"
    assert to_cyrillic("Dmitrii") == "Дмитрий"
    assert to_cyrillic("kiım") == "киім"
    assert to_cyrillic("qoi") == "қой"
    assert to_cyrillic("material") == "материал"
    assert to_cyrillic("aitsa") == "айтса"
    assert to_cyrillic("stantsiia") == "станция"
    assert to_cyrillic("Tsentr") == "Центр"
    assert to_cyrillic("aitşy") == "айтшы"
    assert to_cyrillic("Tşehiia") == "Чехия"
    assert to_cyrillic("aşşy") == "ащы"
    assert to_cyrillic("IUNESKO") == "ЮНЕСКО"
    assert to_cyrillic("Iuliia") == "Юлия"
    assert to_cyrillic("BILIM") == "БІЛІМ"
    assert to_cyrillic("İle") == "Иле"
    assert to_cyrillic("hat") == "хат"


def test_to_cyrillic_leaves_foreign_words_and_other_text():
    assert to_cyrillic("Twitter, café и 2024") == "Twitter, café и 2024"
    assert to_cyrillic("") == ""
    assert to_cyrillic("Қала") == "Қала"


def test_round_trip_of_ordinary_kazakh_words():
    # Not promised in general (и/й, х/һ, ц, ь are ambiguous), but plain Kazakh words come back.
    for word in ["Қазақстан", "дәрігерлердің", "Шілде", "ұйымдастыру", "үйлер", "айтты", "Азия", "ащы", "яғни"]:
        assert to_cyrillic(to_latin(word)) == word


def test_script_key_is_the_same_in_both_scripts():
    # ı is written i in the key: 2021 Latin "därıger" and the usual spelling "däriger" meet.
    assert script_key("Дәрігер") == script_key("Däriger") == script_key("Därıger") == "däriger"
    assert script_key("ҚАЗАҚСТАН") == script_key("Qazaqstan") == "qazaqstan"
    assert script_key("Ілім") == script_key("Ilım") == script_key("ILIM") == script_key("ilim") == "ilim"
    assert script_key("Шілде") == "şilde"
    assert script_key("дәрiгер") == "däriger"  # look-alike Latin i repaired first
    assert script_key("") == ""


def test_loose_key_drops_kazakh_letters():
    assert loose_key("дәрігер") == loose_key("däriger") == loose_key("dariger") == "dariger"
    assert loose_key("Қазақстан") == loose_key("казакстан") == loose_key("Kazakstan") == "kazakstan"
    assert loose_key("өңір") == "onir"
    assert loose_key("ұлттық") == loose_key("ulttyk")
    assert loose_key("шығыс") == "sygys"
    assert loose_key("Ілияс") == loose_key("Iliias") == "iliias"
    assert loose_key("Café") == "cafe"
    assert loose_key("O'Brien") == "obrien"


@given(st.text())
def test_to_latin_never_raises_and_leaves_no_cyrillic_of_the_table(text):
    out = to_latin(text)
    table = {c for c, _ in TABLE} | {c for c, _ in CAPITALS}
    assert not any(ch in table for ch in out)


@given(st.text(alphabet=st.characters(codec="latin-1")))
def test_to_latin_is_identity_without_cyrillic(text):
    assert to_latin(text) == text


@given(st.text())
def test_to_cyrillic_and_keys_never_raise(text):
    assert isinstance(to_cyrillic(text), str)
    assert isinstance(script_key(text), str)
    assert isinstance(loose_key(text), str)


def test_huge_input():
    big = "Қазақстан Республикасы ЮНЕСКО " * 35000
    assert to_latin(big).startswith("Qazaqstan Respublikasy IUNESKO")
    assert to_cyrillic(to_latin(big)[:100]).startswith("Қазақстан Республикасы")
