"""qalam import text: the seed article, Russian article text, furniture, encodings, hostile files."""

from __future__ import annotations

import codecs
import html as html_mod
import re
from datetime import datetime, timedelta

import pytest

from qalam.content.markdown import MarkdownOptions, render_markdown
from qalam.importers.base import run_import
from qalam.importers.furniture import Furniture
from qalam.importers.text import parse_article_text, read_text_file
from qalam.lang.dates import zone

from ..conftest import NOW, SEEDS
from .helpers import new_site, page_files, read_page, session

SEED = SEEDS / "000_30c37c12a048fd7f.txt"
SEED_TITLE = "Ресейден келген дәрігерлер өңірлерге де барады – вице-министр"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"

RUSSIAN = """\
Врачи из России поедут в регионы Казахстана
6 июля 2020 г., 21:35
Просмотров: 1 530
Поделиться:
Врачи из России поедут в регионы Казахстана
ФОТО
Фото:Иван ПЕТРОВ

Нур-Султан, корреспондент BAQ.KZ. Сегодня в столицу специальным рейсом прибыла группа российских врачей.

«Мы будем работать не только в столице, но и в регионах», — сказал вице-министр на встрече в аэропорту.
lead-team.jpg
В группу вошли 32 специалиста: эпидемиологи, вирусологи и реаниматологи.
1. Это не список, а начало предложения с цифрой.
Ранее мы писали, что Казахстан попросил Россию прислать врачей.
Читайте также: Как работают инфекционные больницы столицы
Теги: COVID-19, медицина
Другие новости
Врачи Алматы получили новые аппараты ИВЛ
В Шымкенте открыли модульную больницу
"""


def import_one(tmp_path, text: str | bytes, *, name: str = "article.txt", files: dict | None = None, **kw):
    site = new_site(tmp_path / "site", kw.pop("site_files", None))
    src_dir = tmp_path / "in"
    src_dir.mkdir(exist_ok=True)
    path = src_dir / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    for fname, data in (files or {}).items():
        (src_dir / fname).write_bytes(data)
    encoding = kw.pop("encoding", "auto")
    sess = session(site, **kw)
    report = run_import(sess, [path], lambda p, s: read_text_file(p, s, encoding=encoding), name=lambda p: p.name)
    return site, report


# --- the seed ---------------------------------------------------------------------------------


@pytest.fixture
def seed_import(tmp_path):
    if not SEED.is_file():
        pytest.skip("shared/fixtures/seeds is not beside the repository")
    site, report = import_one(tmp_path, SEED.read_bytes(), name=SEED.name)
    assert report.count("imported") == 1, report.lines()
    [page] = page_files(site)
    header, body = read_page(page)
    return site, report, page, header, body


def test_seed_front_matter(seed_import):
    _site, _report, page, header, _body = seed_import
    assert header["title"] == SEED_TITLE
    assert header["date"] == "06-07-2020 21:35"
    assert header["import"]["date"] == "2020-07-06T21:35+06:00"
    assert header["views"] == 2074
    assert header["lead_image"] == {"credit": "Бауыржан ЖУАСБАЕВ"}
    assert header["dateline"] == {"city": "Нұр-Сұлтан", "agency": "BAQ.KZ"}
    assert header["import"]["dateline_text"] == "Нұр-Сұлтан, BAQ.KZ тілшісі."
    assert header["related_candidates"] == [{
        "text": "Айта кетейік, бұған дейін Қазақстанға Ресейлік дәрігерлер көмекке келгендігі туралы жазған болатынбыз.",
        "topic": "Қазақстанға Ресейлік дәрігерлер көмекке келгендігі",
    }]
    assert header["import"]["source_file"] == SEED.name
    assert len(header["import"]["sha256"]) == 64
    assert page.name == "item.kk.md"
    assert page.parent.name == "2020-07-06-reseiden-kelgen-darigerler-onirlerge-de-barady-vitse-ministr"
    assert page.parent.parent.name == "02.news"


def test_seed_date_is_almaty_time_of_that_day(seed_import, make_site):
    from qalam.content.site import Site

    site_dir, *_ = seed_import
    site = Site(site_dir, state_dir=site_dir.parent / "state", clock=lambda: NOW)
    try:
        page = site.tree("kk").find("/news/2020-07-06-reseiden-kelgen-darigerler-onirlerge-de-barady-vitse-ministr")
        assert page is not None
        assert page.date == datetime(2020, 7, 6, 21, 35, tzinfo=zone("Asia/Almaty"))
        assert page.date.utcoffset() == timedelta(hours=6)
    finally:
        site.close()


def test_seed_body_keeps_paragraphs_and_places_images(seed_import):
    *_, body = seed_import
    source = SEED.read_text(encoding="utf-8")
    blocks = body.strip().split("\n\n")
    # The two JPEG lines became image placeholders, in their places.
    images = [i for i, b in enumerate(blocks) if b.startswith("![")]
    assert [blocks[i] for i in images] == ["![](3945C2FD-8EB1-4116-B0D4-797B5EBAE58F.JPEG)",
                                           "![](7865FAF3-929B-4297-8828-B248E7911D22.JPEG)"]
    assert blocks[images[0] - 1].startswith("Медицина қызметкерлері")
    assert blocks[images[0] + 1].startswith("Бүгін бізге Ресей Федерациясы")
    assert blocks[images[1] - 1].startswith("Марат Шоранов")
    assert blocks[images[1] + 1].startswith("Дәрігерлердің елімізде")
    # Every body paragraph of the source is there exactly (the dateline moved to the front matter).
    lines = [ln.rstrip() for ln in source.splitlines()]
    start = next(i for i, ln in enumerate(lines) if ln.startswith("Нұр-Сұлтан, BAQ.KZ"))
    end = lines.index("Өзгелердің жаңалығы")
    paragraphs = [ln for ln in lines[start:end] if ln.strip() and not ln.endswith(".JPEG")]
    paragraphs[0] = re.sub(r"^Нұр-Сұлтан, BAQ\.KZ тілшісі\.\s+", "", paragraphs[0])
    text_blocks = [b for b in blocks if not b.startswith("![") and b != "==="]
    assert text_blocks == paragraphs
    assert "реаниматолог\u00a0 және" in body  # even a no-break space followed by a space
    # The summary divider follows the first paragraph.
    assert blocks[1] == "==="


def test_seed_body_has_no_furniture(seed_import):
    *_, body = seed_import
    for furniture in ("Бөлісу", "PHOTO", "Фото:", "Өзгелердің жаңалығы", "2074", "6 Шілде 2020"):
        assert furniture not in body
    assert SEED_TITLE not in body  # neither the headline nor its repetition by the share block


def test_seed_report_warns_about_the_missing_images(seed_import):
    _site, report, *_ = seed_import
    [outcome] = report.outcomes
    assert [w.split(" (")[0] for w in outcome.warnings] == [
        "image missing: 3945C2FD-8EB1-4116-B0D4-797B5EBAE58F.JPEG",
        "image missing: 7865FAF3-929B-4297-8828-B248E7911D22.JPEG",
    ]
    assert report.exit_code == 0


def test_seed_images_are_copied_when_they_are_beside_the_file(tmp_path):
    if not SEED.is_file():
        pytest.skip("no seeds")
    site, report = import_one(tmp_path, SEED.read_bytes(), name=SEED.name,
                              files={"3945C2FD-8EB1-4116-B0D4-797B5EBAE58F.JPEG": JPEG,
                                     "7865FAF3-929B-4297-8828-B248E7911D22.jpeg": JPEG})  # other letter case
    [page] = page_files(site)
    assert (page.parent / "3945C2FD-8EB1-4116-B0D4-797B5EBAE58F.JPEG").read_bytes() == JPEG
    assert (page.parent / "7865FAF3-929B-4297-8828-B248E7911D22.JPEG").read_bytes() == JPEG
    assert report.outcomes[0].warnings == []


# --- Russian text ------------------------------------------------------------------------------


def test_russian_article(tmp_path):
    site, report = import_one(tmp_path, RUSSIAN, files={"lead-team.jpg": JPEG})
    assert report.count("imported") == 1, report.lines()
    [page] = page_files(site)
    assert page.name == "item.ru.md" and page.parent.name == "2020-07-06-vratsi-iz-rossii-poedut-v-regiony-kazahstana"
    header, body = read_page(page)
    assert header["title"] == "Врачи из России поедут в регионы Казахстана"
    assert header["date"] == "06-07-2020 21:35"
    assert header["import"]["date_text"] == "6 июля 2020 г., 21:35"
    assert header["views"] == 1530
    assert header["lead_image"] == {"credit": "Иван ПЕТРОВ"}
    assert header["dateline"] == {"city": "Нур-Султан", "agency": "BAQ.KZ"}
    assert header["taxonomy"] == {"tag": ["COVID-19", "медицина"]}
    assert header["related_candidates"] == [
        {"text": "Читайте также: Как работают инфекционные больницы столицы",
         "title": "Как работают инфекционные больницы столицы"},
        {"text": "Ранее мы писали, что Казахстан попросил Россию прислать врачей.",
         "topic": "Казахстан попросил Россию прислать врачей"},
    ]
    # Quotes and dashes exactly; the inline image in its place; the numbered line stays text.
    assert "«Мы будем работать не только в столице, но и в регионах», — сказал вице-министр" in body
    assert "![](lead-team.jpg)" in body and (page.parent / "lead-team.jpg").is_file()
    assert body.index("в аэропорту.") < body.index("![](lead-team.jpg)") < body.index("В группу вошли")
    for furniture in ("Поделиться", "ФОТО", "Фото:", "Другие новости", "аппараты ИВЛ", "модульную", "Теги:",
                      "Читайте также"):
        assert furniture not in body
    rendered = render_markdown(body, MarkdownOptions(extra=True))
    assert "<ol" not in rendered and "1. Это не список" in html_mod.unescape(rendered)
    assert any("dropped 'Другие новости' and the 2 line(s) after it" in w for w in report.outcomes[0].warnings)


def test_numeric_dates_and_time_first(tmp_path):
    text = "Заголовок новости о погоде\n21:35 06.07.2020 | 2074\n\nВ Алматы ожидается жара до сорока градусов.\n"
    site, report = import_one(tmp_path, text)
    header, _ = read_page(page_files(site)[0])
    assert header["date"] == "06-07-2020 21:35" and header["views"] == 2074


def test_date_without_time_and_no_date_are_warned(tmp_path):
    site, report = import_one(tmp_path, "Жаңалық тақырыбы\n6 шілде 2020 ж.\n\nМәтін бірінші абзацы осы жерде.\n")
    header, _ = read_page(page_files(site)[0])
    assert header["date"] == "06-07-2020"
    assert any("has no time of day" in w for w in report.outcomes[0].warnings)
    site2, report2 = import_one(tmp_path / "b", "Жаңалық тақырыбы\n\nМәтін бірінші абзацы осы жерде.\n")
    header2, _ = read_page(page_files(site2)[0])
    assert "date" not in header2 and page_files(site2)[0].parent.name == "janalyq-taqyryby"
    assert any("no date found" in w for w in report2.outcomes[0].warnings)


def test_site_in_another_time_zone_gets_its_local_time(tmp_path):
    text = "Жаңалық тақырыбы\n6 шілде 2020, 21:35\n\nМәтін бірінші абзацы.\n"
    site, _ = import_one(tmp_path, text, site_files={"config/system.yaml": "timezone: UTC\nlanguages:\n  supported: [kk]\n"})
    header, _ = read_page(page_files(site)[0])
    assert header["date"] == "06-07-2020 15:35"  # the same moment, in UTC
    assert header["import"]["date"] == "2020-07-06T15:35+00:00" and header["import"]["date_text"] == "6 шілде 2020, 21:35"


def test_hard_wrapped_lines_are_joined_and_markdown_characters_stay_text(tmp_path):
    text = ("Тақырып\n6 шілде 2020, 10:00\n\n"
            "Бірінші абзацтың басы\nжалғасы осында.\n\n"
            "# бұл тақырып емес, *жұлдызша* мен _сызық_ және <b>тег</b> & [сілтеме](x)\n"
            "===\n")
    site, _ = import_one(tmp_path, text)
    _, body = read_page(page_files(site)[0])
    assert "Бірінші абзацтың басы жалғасы осында." in body
    html = render_markdown(body, MarkdownOptions(extra=True))
    plain = html_mod.unescape(re.sub(r"<[^>]+>", "", html))
    assert "# бұл тақырып емес, *жұлдызша* мен _сызық_ және <b>тег</b> & [сілтеме](x)" in plain
    assert "===" in plain and "<h1" not in html and "<em>" not in html and "<b>" not in html


def test_furniture_from_the_site_config(tmp_path):
    text = "Тақырып\n6 шілде 2020, 10:00\nЖарнама беру\n\nМәтін.\nРедакция ұсынады\nБасқа бір мақала\n"
    qalam_yaml = {"config/qalam.yaml": "import:\n  furniture:\n    - 'Жарнама беру'\n"
                                       "    - {text: 'Редакция ұсынады', end: true}\n"}
    site, _ = import_one(tmp_path, text, site_files=qalam_yaml)
    _, body = read_page(page_files(site)[0])
    assert body.strip() == "Мәтін."
    # Without the site's list, those lines are article text.
    site2, _ = import_one(tmp_path / "b", text)
    _, body2 = read_page(page_files(site2)[0])
    assert "Жарнама беру" in body2 and "Редакция ұсынады" in body2 and "Басқа бір мақала" in body2


def test_bad_furniture_config_is_a_clear_setup_error(tmp_path):
    from qalam.importers.base import ImportSetupError

    site = new_site(tmp_path / "s", {"config/qalam.yaml": "import:\n  furniture:\n    - {regex: '(['}\n"})
    with pytest.raises(ImportSetupError, match=r"config/qalam.yaml: import.furniture entry 1: bad regular expression"):
        session(site)


def test_parse_keeps_a_subtitle_before_the_date_in_the_body():
    text = "Тақырып\nҚысқа түсініктеме жолы\n6 шілде 2020, 10:00\n\nНегізгі мәтін.\n"
    parsed = parse_article_text(text, furniture=Furniture.defaults(), tz="Asia/Almaty")
    assert parsed.title == "Тақырып" and parsed.date.text == "6 шілде 2020, 10:00"
    assert [b for _, b in parsed.blocks] == ["Қысқа түсініктеме жолы", "Негізгі мәтін."]


def test_url_line_is_the_old_url(tmp_path):
    text = ("https://old.example.kz/kk/news/12345\nТақырып\n6 шілде 2020, 10:00\n\nМәтін.\n"
            "https://example.kz/report.pdf\nСоңғы абзац.\n")
    site, report = import_one(tmp_path, text)
    header, body = read_page(page_files(site)[0])
    assert header["import"]["old_url"] == "https://old.example.kz/kk/news/12345"
    assert "https://old.example.kz" not in body and report.redirects_added == 1
    assert "https://example.kz/report.pdf" in body  # a URL inside the body is text


# --- encodings and hostile input -----------------------------------------------------------


def test_utf8_with_bom(tmp_path):
    site, report = import_one(tmp_path, codecs.BOM_UTF8 + "Тақырып\n\nМәтін.\n".encode())
    header, _ = read_page(page_files(site)[0])
    assert header["title"] == "Тақырып" and "encoding" not in header["import"]


def test_windows_1251_russian(tmp_path):
    site, report = import_one(tmp_path, RUSSIAN.encode("cp1251"))
    header, body = read_page(page_files(site)[0])
    assert header["title"] == "Врачи из России поедут в регионы Казахстана"
    assert header["import"]["encoding"] == "cp1251"
    assert "«Мы будем работать" in body
    assert any("Windows-1251" in w for w in report.outcomes[0].warnings)


def test_kz1048_kazakh(tmp_path):
    text = "Ауа райы өзгереді\n6 шілде 2020, 10:00\n\nҚазақстанның оңтүстігінде күн ысиды, деп хабарлады синоптиктер.\n"
    site, report = import_one(tmp_path, text.encode("kz1048"))
    header, body = read_page(page_files(site)[0])
    assert header["title"] == "Ауа райы өзгереді" and header["import"]["encoding"] == "kz1048"
    assert "Қазақстанның оңтүстігінде" in body


def test_double_encoded_utf8_is_repaired(tmp_path):
    mojibake = "Ресей дәрігерлері келді\n\nБүгін дәрігерлер келді.\n".encode("utf-8").decode("cp1251").encode("utf-8")
    site, report = import_one(tmp_path, mojibake)
    header, _ = read_page(page_files(site)[0])
    assert header["title"] == "Ресей дәрігерлері келді"
    assert any("double-encoded" in w for w in report.outcomes[0].warnings)


@pytest.mark.parametrize("data,message", [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "this is a PNG image, not text"),
    (b"%PDF-1.4\n...", "this is a PDF document"),
    (b"abc\x00def" * 10, "binary data (a zero byte at offset 3)"),
    (b"\xff\xfe\x00\xd8", "byte-order mark but is not valid"),
    ("Заголовок\n\nТекст ".encode("utf-8") + b"\x98\x98\x98\x98" + b"\n", "bad.txt:3: not UTF-8 (byte 0x98 at column 7)"),
])
def test_hostile_files_fail_clearly_and_write_nothing(tmp_path, data, message):
    site, report = import_one(tmp_path, data, name="bad.txt")
    assert report.exit_code == 1
    [outcome] = report.outcomes
    assert outcome.status == "failed" and outcome.reason.startswith("bad.txt")
    assert message in outcome.reason
    assert page_files(site) == []
    assert "bad.txt" not in (site / "config" / "site.yaml").read_text()


def test_invalid_utf8_names_the_line(tmp_path):
    data = "Заголовок\n\nТекст\n".encode("utf-8") + b"\xe2\x28\xa1 x\n"
    _site, report = import_one(tmp_path, data, name="bad.txt", encoding="utf-8")
    assert report.outcomes[0].reason.startswith("bad.txt:4: ")


def test_huge_file_is_refused(tmp_path):
    site = new_site(tmp_path / "site")
    big = tmp_path / "big.txt"
    big.write_bytes(("Заголовок\n\n" + "Мәтін. " * 200_000).encode())
    sess = session(site)
    report = run_import(sess, [big], lambda p, s: read_text_file(p, s, max_bytes=1024 * 1024), name=lambda p: p.name)
    assert report.exit_code == 1
    assert "larger than the limit of 1.0 MB" in report.outcomes[0].reason and "--max-size" in report.outcomes[0].reason
    assert page_files(site) == []


def test_only_furniture_is_not_an_article(tmp_path):
    _site, report = import_one(tmp_path, "Бөлісу:\nPHOTO\n2074\n", name="empty.txt")
    assert report.exit_code == 1 and "no headline" in report.outcomes[0].reason


def test_fake_image_beside_the_file_is_not_copied(tmp_path):
    site, report = import_one(tmp_path, "Тақырып\n\nМәтін.\nphoto.jpg\n", files={"photo.jpg": b"#!/bin/sh\necho not an image\n"})
    [page] = page_files(site)
    assert not (page.parent / "photo.jpg").exists()
    assert any("photo.jpg is not a JPEG/PNG/GIF/WebP/AVIF image" in w for w in report.outcomes[0].warnings)
