"""`qalam import text|html|wordpress`: exit codes, report, dry run, folders."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from qalam.cli.main import cli

from .helpers import new_site, page_files, snapshot

DATA = Path(__file__).parent / "data"
GOOD = "Ауа райы өзгереді\n6 шілде 2020, 10:00\n2074\nБөлісу:\n\nАлматыда күн жылынады, деп хабарлады синоптиктер.\n"


def invoke(*args):
    return CliRunner().invoke(cli, ["import", *map(str, args)])


def test_text_folder_dry_run_then_for_real(tmp_path):
    site = new_site(tmp_path / "site")
    src = tmp_path / "archive" / "2020"
    src.mkdir(parents=True)
    (src / "one.txt").write_text(GOOD, encoding="utf-8")
    (src / "two.txt").write_text(GOOD.replace("Алматыда", "Астанада"), encoding="utf-8")
    (src / "notes.md").write_text("not an article", encoding="utf-8")
    before = snapshot(site)
    result = invoke("text", tmp_path / "archive", "--site", site, "--dry-run", "--old-url-base", "https://old.kz/kk")
    assert result.exit_code == 0, result.output
    assert "would import: 2020/one.txt -> pages/02.news/2020-07-06-aua-raiy-ozgeredi/item.kk.md" in result.output
    assert result.output.strip().endswith(
        "would import 2, skipped 0, failed 0; 0 warning(s); would add 2 redirect(s) (dry run: nothing written)")
    assert snapshot(site) == before
    result = invoke("text", tmp_path / "archive", "--site", site, "--old-url-base", "https://old.kz/kk", "--quiet")
    assert result.exit_code == 0
    assert "imported:" not in result.output and "imported 2, skipped 0, failed 0" in result.output
    assert len(page_files(site)) == 2
    assert "/2020/one: /news/2020-07-06-aua-raiy-ozgeredi[301]" in (site / "config/site.yaml").read_text("utf-8")
    again = invoke("text", tmp_path / "archive", "--site", site)
    assert again.exit_code == 0 and "imported 0, skipped 2, failed 0" in again.output


def test_text_exit_code_1_when_a_file_cannot_be_imported(tmp_path):
    site = new_site(tmp_path / "site")
    (tmp_path / "good.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "photo.txt").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 40)
    result = invoke("text", tmp_path / "good.txt", tmp_path / "photo.txt", "--site", site)
    assert result.exit_code == 1
    assert "failed: photo.txt: this is a JPEG image, not text" in result.output
    assert "imported 1, skipped 0, failed 1" in result.output
    assert len(page_files(site)) == 1


def test_usage_errors_exit_2(tmp_path):
    site = new_site(tmp_path / "site")
    (tmp_path / "a.txt").write_text(GOOD, encoding="utf-8")
    assert invoke("text", tmp_path / "a.txt", "--site", tmp_path / "nowhere").exit_code == 2
    result = invoke("text", tmp_path / "a.txt", "--site", site, "--lang", "de")
    assert result.exit_code == 2 and "--lang de: this site serves kk, ru, en" in result.output
    assert invoke("text", tmp_path / "a.txt", "--site", site, "--timezone", "Nowhere/City").exit_code == 2
    assert invoke("text", tmp_path / "a.txt", "--site", site, "--max-size", "lots").exit_code == 2
    assert invoke("text", "--site", site).exit_code == 2  # no files
    assert page_files(site) == []


def test_html_and_wordpress_commands(tmp_path):
    from PIL import Image

    site = new_site(tmp_path / "site")
    pages = tmp_path / "saved"
    (pages / "vrachi_files").mkdir(parents=True)
    shutil.copy(DATA / "vrachi.html", pages / "vrachi.html")
    Image.new("RGB", (8, 8), "red").save(pages / "vrachi_files" / "lead.jpg")
    result = invoke("html", pages, "--site", site)
    assert result.exit_code == 0, result.output
    assert "imported: vrachi.html -> pages/02.news/2020-07-06-vratsi-iz-rossii-poedut-v-regiony/item.ru.md" in result.output

    uploads = tmp_path / "wp-uploads"
    (uploads / "2020" / "07").mkdir(parents=True)
    Image.new("RGB", (8, 8), "red").save(uploads / "2020/07/darigerler.jpg")
    result = invoke("wordpress", DATA / "wordpress-export.xml", "--site", site, "--uploads", uploads,
                    "--pages-section", "about")
    assert result.exit_code == 0, result.output
    assert "imported: wordpress-export.xml#page-20 -> pages/03.about/biz-turaly/default.kk.md" in result.output
    assert (site / "pages/02.news/2020-07-06-darigerler-onirlerge-barady/darigerler.jpg").is_file()

    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<?xml version='1.0'?>\n<rss>\n<channel>\n</rss>")
    result = invoke("wordpress", broken, "--site", site)
    assert result.exit_code == 1 and "failed: broken.xml:4: not well-formed XML" in result.output


def test_import_commands_are_listed_in_help():
    result = CliRunner().invoke(cli, ["import", "--help"])
    assert result.exit_code == 0
    for name in ("text", "html", "wordpress"):
        assert name in result.output
