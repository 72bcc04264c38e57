"""The ``qalam`` command: serve, check, index, routes.

Exit codes: 0 fine, 1 the site has problems (or a command failed), 2 wrong usage.
"""

from __future__ import annotations

import logging
import sys
import threading
import time

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from qalam import __version__
from qalam.content.site import Site, SiteError

err_console = Console(stderr=True)


def open_site(path: str, *, rebuild: bool = False, quiet: bool = False) -> Site:
    """Open a site, showing a progress bar while the index is (re)built."""
    try:
        with Progress(
            TextColumn("[bold]indexing pages[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err_console, transient=True, disable=quiet,
        ) as progress:
            task = progress.add_task("index", total=None)

            def report(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            site = Site(path, progress=report) if not rebuild else Site(path, progress=report, rebuild=True)
    except SiteError as err:
        raise click.ClickException(str(err)) from err
    return site


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="qalam")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """Qalam: serve a Grav site folder (pages, config, media) in every language."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@cli.command()
@click.argument("site", type=click.Path(exists=True, file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--no-watch", is_flag=True, help="Do not watch the folder for changes.")
def serve(site: str, host: str, port: int, no_watch: bool) -> None:
    """Serve SITE (a Grav `user/` folder or a folder holding one) over HTTP."""
    import uvicorn

    from qalam.web import distribution, outlets
    from qalam.web import counter as view_counter
    from qalam.web.app import get_asgi_application
    from qalam.web.hotpath import PageCacheASGI

    started = time.perf_counter()
    the_site = open_site(site)
    # The view beacon, then anonymous page GETs from the page cache, before Django (docs/serving.md).
    app = view_counter.BeaconASGI(PageCacheASGI(get_asgi_application(the_site), the_site))
    view_counter.start(the_site)  # writer thread; flushed at exit, SIGTERM included
    if not no_watch:
        threading.Thread(target=_watch, args=(the_site,), daemon=True, name="qalam-watch").start()
    threading.Thread(target=_warm_search, args=(the_site,), daemon=True, name="qalam-search").start()
    outlets.start(the_site)  # other outlets' feeds, refreshed in the background (idle with none configured)
    distribution.start(the_site)  # IndexNow / Telegram on publish (idle while disabled)
    langs = ", ".join(the_site.language_codes) if the_site.languages.enabled else "single language"
    err_console.print(
        f"[bold green]Qalam[/] serving [bold]{the_site.user_dir}[/] ({langs}; "
        f"{len(the_site.index.entries)} files indexed in {time.perf_counter() - started:.2f} s) "
        f"at [link]http://{host}:{port}[/link]  (Ctrl+C to stop)"
    )
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="off")
    finally:
        distribution.stop(the_site)  # let a delivery in progress finish and be recorded


def _warm_search(site: Site, delay: float = 5.0) -> None:
    """Bring the search index up to date in the background, so the first search is fast.

    It starts a few seconds after the server: building the index of a large site is CPU work
    that would otherwise compete (the GIL) with the first pages readers ask for.
    """
    from qalam.search.service import for_site

    time.sleep(delay)
    try:
        for_site(site).sync()
    except Exception:  # noqa: BLE001 — search catches up on the first query instead
        logging.getLogger("qalam.search").exception("could not update the search index")


def _watch(site: Site) -> None:
    """Pick up changed files as they happen (pages and config)."""
    from watchfiles import watch

    log = logging.getLogger("qalam.watch")
    paths = [str(site.pages_dir)]
    if (site.user_dir / "config").is_dir():
        paths.append(str(site.user_dir / "config"))
    for _changes in watch(*paths, debounce=200, step=50, raise_interrupt=False):
        try:
            t0 = time.perf_counter()
            report = site.refresh()
            if report.changed:
                from qalam.search.service import for_site

                for_site(site).sync()
                log.warning("content changed: %d file(s) re-read in %.0f ms", report.parsed + report.removed,
                            (time.perf_counter() - t0) * 1000)
        except Exception:  # noqa: BLE001 — the watcher must survive a bad save
            log.exception("could not refresh the site after a change")


@cli.command()
@click.argument("site", type=click.Path(exists=True, file_okay=False))
@click.option("--strict", is_flag=True, help="Treat warnings (e.g. a missing image) as errors.")
def check(site: str, strict: bool) -> None:
    """Validate every page and config file; print `file:line: problem`; exit 1 on errors."""
    the_site = open_site(site)
    problems = the_site.problems()
    errors = [p for p in problems if p.severity == "error" or strict]
    for p in problems:
        click.echo(str(p))
    pages = len([e for e in the_site.index.entries if not e.endswith("frontmatter.yaml")])
    summary = f"{pages} page files checked: {len([p for p in problems if p.severity == 'error'])} errors, " \
              f"{len([p for p in problems if p.severity == 'warning'])} warnings"
    click.echo(summary, err=True)
    if errors:
        sys.exit(1)


@cli.command()
@click.argument("site", type=click.Path(exists=True, file_okay=False))
@click.option("--rebuild", is_flag=True, help="Forget the index and parse every file again.")
@click.option("--search/--no-search", default=True, show_default=True, help="Also update the search index.")
def index(site: str, rebuild: bool, search: bool) -> None:
    """Build or update the page index (and the search index) in SITE/.qalam/."""
    t0 = time.perf_counter()
    the_site = open_site(site, rebuild=rebuild)
    report = the_site.last_sync
    click.echo(
        f"{len(the_site.index.entries)} files indexed ({report.parsed} parsed, {report.removed} removed, "
        f"{report.unchanged} unchanged) in {time.perf_counter() - t0:.2f} s -> {the_site.index.db_path}"
    )
    if search:
        from qalam.search.service import for_site

        t1 = time.perf_counter()
        service = for_site(the_site)
        if rebuild:
            service.backend.clear()
        sr = _sync_search(service)
        click.echo(
            f"search index: {sr.added} added, {sr.updated} updated, {sr.removed} removed, {sr.unchanged} unchanged "
            f"in {time.perf_counter() - t1:.2f} s"
        )


@cli.command()
@click.argument("site", type=click.Path(exists=True, file_okay=False))
@click.argument("query")
@click.option("--lang", default=None, help="Search only this language (e.g. kk, ru, en).")
@click.option("--section", default=None, help="Only pages of this top-level section (e.g. news).")
@click.option("--page", "page_no", default=1, show_default=True, type=click.IntRange(min=1), help="Result page.")
@click.option("--per-page", default=10, show_default=True, type=click.IntRange(1, 100), help="Results per page.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def search(site: str, query: str, lang: str | None, section: str | None, page_no: int, per_page: int,
           as_json: bool) -> None:
    """Search SITE for QUERY (Kazakh in either script, Russian, English; word forms match)."""
    import json
    import re

    from qalam.search.backend import SearchQuery
    from qalam.search.service import for_site

    the_site = open_site(site, quiet=as_json)
    if lang and the_site.languages.enabled and lang not in the_site.languages.supported:
        raise click.UsageError(f"unknown language {lang!r}; this site serves: {', '.join(the_site.language_codes)}")
    service = for_site(the_site)
    _sync_search(service, quiet=as_json)
    results = service.search(SearchQuery(q=query, lang=lang, section=section, page=page_no, per_page=per_page))
    if as_json:
        click.echo(json.dumps({
            "query": query, "total": results.total, "page": page_no, "pages": results.pages,
            "results": [{"url": h.url, "title": h.title, "lang": h.lang, "section": h.section,
                         "date": h.date.isoformat() if h.date else None, "snippet": h.snippet,
                         "score": round(h.score, 4)} for h in results.hits],
        }, ensure_ascii=False, indent=2))
        return
    click.echo(f"{results.total} found" + (f" (page {page_no} of {results.pages})" if results.pages > 1 else ""))
    for i, hit in enumerate(results.hits, (page_no - 1) * per_page + 1):
        plain = re.sub(r"</?mark>", "", hit.snippet)
        marked = re.sub(r"<mark>(.*?)</mark>", lambda m: click.style(m.group(1), bold=True, fg="yellow"), hit.snippet)
        from html import unescape

        click.echo(f"\n{i}. {click.style(hit.title, bold=True)}  [{hit.lang}] {hit.date.date() if hit.date else ''}")
        click.echo(f"   {hit.url}")
        click.echo("   " + unescape(marked if sys.stdout.isatty() else plain))


def _sync_search(service, *, quiet: bool = False):
    with Progress(
        TextColumn("[bold]indexing search[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console, transient=True, disable=quiet,
    ) as progress:
        task = progress.add_task("search", total=None)
        return service.sync(progress=lambda done, total: progress.update(task, completed=done, total=total))


@cli.command()
@click.argument("site", type=click.Path(exists=True, file_okay=False))
@click.option("--lang", "langs", multiple=True, help="Only this language (repeatable).")
@click.option("--all", "show_all", is_flag=True, help="Also list aliases and pages that are not routable now.")
def routes(site: str, langs: tuple[str, ...], show_all: bool) -> None:
    """Print every route with its source file (URL, then file)."""
    the_site = open_site(site, quiet=True)
    codes = list(langs) or the_site.language_codes
    unknown = [c for c in codes if c not in the_site.language_codes]
    if unknown:
        raise click.UsageError(
            f"unknown language {unknown[0]!r}; this site serves: {', '.join(the_site.language_codes) or 'one language'}"
        )
    now = the_site.now()
    for code in codes:
        tree = the_site.tree(code)
        for page in tree.iter_pages():
            if not page.has_file:
                continue
            routable = page.routable(now)
            if not routable and not show_all:
                continue
            src = f"pages/{page.file_rel}"
            flag = "" if routable else "  (not routable now)"
            click.echo(f"{page.url()}\t{src}{flag}")
        if show_all:
            for route, entry in sorted(tree.routes.items()):
                if not entry.is_main and entry.page.has_file:
                    prefix = the_site.languages.prefix(code)
                    click.echo(f"{prefix}{route}\t-> {entry.page.url()}  (alias)")


@cli.command()
@click.argument("site", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False),
              help="Folder to write the static site to (created; files from an earlier build are updated).")
@click.option("--base-url", default=None, metavar="URL",
              help="Public address (https://example.kz) for absolute links in feeds, sitemaps and share tags.")
@click.option("--jobs", "-j", default=1, show_default=True, type=click.IntRange(min=1),
              help="Render in N processes (forked after the site is loaded; Linux and macOS).")
def build(site: str, out: str, base_url: str | None, jobs: int) -> None:
    """Export SITE as static files into OUT: every page, listing, feed, sitemap, media and redirect."""
    from qalam.web.export import build as export

    if base_url and not base_url.startswith(("http://", "https://")):
        raise click.UsageError(f"--base-url: {base_url!r} is not an http(s) address (e.g. https://example.kz)")
    the_site = open_site(site)
    with Progress(
        TextColumn("[bold]rendering[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console, transient=True,
    ) as progress:
        task = progress.add_task("build", total=None)
        report = export(the_site, out, base_url=base_url, jobs=jobs,
                        progress=lambda done, total: progress.update(task, completed=done, total=total))
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for source, status in report.errors:
        click.echo(f"error: {source} answered {status}", err=True)
    by_link: dict[str, list[str]] = {}
    for page, link in report.broken:
        by_link.setdefault(link, []).append(page)
    for link, pages in sorted(by_link.items()):
        more = f" and {len(pages) - 1} more" if len(pages) > 1 else ""
        click.echo(f"broken link: {link} (in {pages[0]}{more})", err=True)
    click.echo(
        f"{report.files} files ({len(report.written)} written, {report.unchanged} unchanged, "
        f"{len(report.removed)} removed), {len(report.redirects)} redirects, {len(report.broken)} broken links "
        f"in {report.seconds:.2f} s -> {out}"
    )
    if report.errors:
        sys.exit(1)


from qalam.cli.importing import import_group  # noqa: E402  (qalam import text|html|wordpress)

cli.add_command(import_group)


def main() -> None:
    cli()


if __name__ == "__main__":  # pragma: no cover
    main()
