"""``qalam import text|html|wordpress``: legacy news archives into a site (see docs/importing.md).

Exit codes: 0 everything was imported (or skipped as already imported), 1 something could
not be imported (the report says what and why), 2 wrong usage (unknown option, no such
site, bad --lang/--timezone/--section).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from qalam.importers.base import ImportSession, ImportSetupError, Report, run_import
from qalam.importers.source import MAX_ARTICLE_BYTES, parse_size

err_console = Console(stderr=True)


def _size(ctx, param, value):
    if value is None:
        return None
    try:
        return parse_size(value)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


def common_options(func):
    """--site, --section, --lang, --timezone, --dry-run, --quiet."""

    @click.option("--site", "site", required=True, type=click.Path(exists=True, file_okay=False),
                  help="The site to import into (a Grav user/ folder or a folder holding one).")
    @click.option("--section", default="news", show_default=True,
                  help="Section folder for articles (its name without the number, e.g. news); created if missing.")
    @click.option("--lang", default="auto", show_default=True,
                  help="Language of the articles (kk, ru, en, ...) or auto to detect it per article.")
    @click.option("--timezone", "source_tz", default="Asia/Almaty", show_default=True,
                  help="Time zone of dates written without one in the sources.")
    @click.option("--dry-run", is_flag=True, help="Read everything and print the report, but write nothing.")
    @click.option("-q", "--quiet", is_flag=True, help="Print only skipped, failed, warnings and the summary.")
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


@click.group("import")
def import_group() -> None:
    """Import legacy news archives: saved page text, HTML pages, WordPress exports (keeping old URLs)."""


def _session(site: str, section: str, lang: str, source_tz: str, dry_run: bool) -> ImportSession:
    try:
        return ImportSession(site, section=section, dry_run=dry_run, lang=lang, source_tz=source_tz)
    except ImportSetupError as err:
        raise click.UsageError(str(err)) from None


def _collect(paths: tuple[str, ...], suffixes: tuple[str, ...]) -> list[tuple[Path, str]]:
    """(file, name for the report) for every file argument and every matching file under a folder."""
    out: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    for arg in paths:
        p = Path(arg)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.suffix.lower() in suffixes
                           and not any(part.startswith(".") for part in f.relative_to(p).parts)
                           and _inside(f, p))
            if not found:
                err_console.print(f"[yellow]warning:[/] {arg}: no {'/'.join(suffixes)} files in this folder")
            for f in found:
                if f.resolve() not in seen:
                    seen.add(f.resolve())
                    out.append((f, f.relative_to(p).as_posix()))
        else:
            if p.resolve() not in seen:
                seen.add(p.resolve())
                out.append((p, p.name))
    return out


def _inside(path: Path, folder: Path) -> bool:
    """A regular file really inside ``folder``: links out of an imported folder are not followed
    (an archive is untrusted; docs/security.md), FIFOs and devices are skipped."""
    from qalam.content.safefs import UnsafeFile, check_path

    try:
        check_path(path, folder)
    except UnsafeFile as err:
        if path.is_symlink() or not path.is_dir():
            err_console.print(f"[yellow]warning:[/] {path}: skipped, {err.reason}")
        return False
    return True


def _run(session: ImportSession, sources: list, read, label: str, quiet: bool, name=lambda s: s[1]) -> None:
    with Progress(
        TextColumn(f"[bold]{label}[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TimeRemainingColumn(), console=err_console, transient=True, disable=len(sources) < 2,
    ) as progress:
        task = progress.add_task(label, total=len(sources))
        report = run_import(session, sources, read, name=name,
                            progress=lambda done, total: progress.update(task, completed=done))
    _print(report, quiet)
    sys.exit(report.exit_code)


def _print(report: Report, quiet: bool) -> None:
    for line in report.lines():
        if quiet and line.startswith(("imported:", "would import:")):
            continue
        click.echo(line)
    click.echo(report.summary(), err=False)


@import_group.command("text")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@common_options
@click.option("--old-url-base", default=None, metavar="URL",
              help="Old address of the files: URL + the file's path without .txt is its old URL (redirected).")
@click.option("--encoding", default="auto", show_default=True,
              help="Encoding of the files (utf-8, cp1251, kz1048, ...); auto detects UTF-8, BOMs and Windows-1251.")
@click.option("--max-size", default="5MB", show_default=True, callback=_size, help="Largest file read as one article.")
def import_text(files, site, section, lang, source_tz, dry_run, quiet, old_url_base, encoding, max_size) -> None:
    """Import saved article text files (FILE... or folders of .txt files) in Kazakh or Russian."""
    from qalam.importers.text import read_text_file

    session = _session(site, section, lang, source_tz, dry_run)
    sources = _collect(files, (".txt", ".text"))

    def read(src, sess):
        path, name = src
        return read_text_file(path, sess, source_name=name, old_url_base=old_url_base, encoding=encoding,
                              max_bytes=max_size or MAX_ARTICLE_BYTES)

    _run(session, sources, read, "importing text", quiet)


@import_group.command("html")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@common_options
@click.option("--old-url-base", default=None, metavar="URL",
              help="For pages without <link rel=canonical>/og:url: URL + the file's path without .html.")
@click.option("--encoding", default="auto", show_default=True,
              help="Encoding of pages without a charset declaration (auto: UTF-8 or Windows-1251).")
@click.option("--max-size", default="5MB", show_default=True, callback=_size, help="Largest HTML file read.")
def import_html(files, site, section, lang, source_tz, dry_run, quiet, old_url_base, encoding, max_size) -> None:
    """Import saved HTML article pages (FILE-or-DIR...): main text and metadata, images beside them."""
    from qalam.importers.html import HTML_SUFFIXES, read_html_file

    session = _session(site, section, lang, source_tz, dry_run)
    sources = _collect(files, HTML_SUFFIXES)

    def read(src, sess):
        path, name = src
        return read_html_file(path, sess, source_name=name, old_url_base=old_url_base, encoding=encoding,
                              max_bytes=max_size or MAX_ARTICLE_BYTES)

    _run(session, sources, read, "importing pages", quiet)


@import_group.command("wordpress")
@click.argument("export", type=click.Path(exists=True, dir_okay=False))
@common_options
@click.option("--uploads", type=click.Path(exists=True, file_okay=False), default=None,
              help="Copy of the old site's wp-content/uploads folder (for featured and inline images).")
@click.option("--pages-section", default="", metavar="SECTION",
              help="Where WordPress pages go (default: the top level of pages/).")
@click.option("--max-size", default="512MB", show_default=True, callback=_size, help="Largest export file read.")
def import_wordpress(export, site, section, lang, source_tz, dry_run, quiet, uploads, pages_section, max_size) -> None:
    """Import a WordPress export (WXR): posts, pages, categories, tags, authors, status, featured images."""
    from qalam.importers.source import ImportProblem
    from qalam.importers.wordpress import read_wordpress_export

    session = _session(site, section, lang, source_tz, dry_run)
    path = Path(export)
    try:
        articles = read_wordpress_export(path, session, source_name=path.name,
                                         uploads=Path(uploads) if uploads else None,
                                         pages_section=pages_section.strip("/"), max_bytes=max_size)
    except ImportProblem as err:
        session.fail(path.name, str(err))
        report = session.finish()
        _print(report, quiet)
        sys.exit(report.exit_code)
    _run(session, articles, lambda article, _sess: article, "importing posts", quiet,
         name=lambda article: article.source_name)
