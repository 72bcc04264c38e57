"""The ``qalam`` command: serve, check, index, routes.

Exit codes: 0 fine, 1 the site has problems (or a command failed), 2 wrong usage.
"""

from __future__ import annotations

import gc
import logging
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from qalam import __version__
from qalam.content.site import Site, SiteError

err_console = Console(stderr=True)


def open_site(path: str, *, rebuild: bool = False, quiet: bool = False, overrides: dict | None = None,
              from_snapshot: bool = False) -> Site:
    """Open a site, showing a progress bar while the index is (re)built."""
    try:
        with Progress(
            TextColumn("[bold]indexing pages[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err_console, transient=True, disable=quiet,
        ) as progress:
            task = progress.add_task("index", total=None)

            def report(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            site = Site(path, progress=report, rebuild=rebuild, config_overrides=overrides,
                        from_snapshot=from_snapshot)
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


class _Workers(click.ParamType):
    """A number of worker processes, or ``auto`` (one per CPU)."""

    name = "N|auto"

    def convert(self, value, param, ctx):
        import os

        if isinstance(value, int):
            n = value
        elif str(value).strip().lower() == "auto":
            n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        else:
            try:
                n = int(value)
            except ValueError:
                self.fail(f"{value!r} is not a number of processes or 'auto'", param, ctx)
        if n < 1:
            self.fail(f"{value!r}: at least 1 worker", param, ctx)
        return n


@cli.command()
@click.argument("site", type=click.Path(exists=True, file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default="1", show_default=True, type=_Workers(),
              help="Worker processes sharing the port; 'auto': one per CPU.")
@click.option("--server", type=click.Choice(["uvicorn", "granian"]), default="uvicorn", show_default=True,
              help="HTTP server (granian: pip install 'qalam[granian]').")
@click.option("--no-watch", is_flag=True, help="Do not watch the folder for changes.")
@click.option("--base-url", default=None,
              help="The site's public address (https://example.kz): absolute URLs are built from it, "
                   "never from a request's Host (overrides site.base_url).")
@click.option("--proxy-headers", is_flag=True,
              help="Believe X-Forwarded-For/-Proto from a reverse proxy on 127.0.0.1 (or --forwarded-allow-ips).")
@click.option("--forwarded-allow-ips", default=None,
              help="Comma-separated proxy addresses whose forwarded headers are believed (implies --proxy-headers).")
@click.option("--header-timeout", default=10.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds a client may take to send its request headers before the connection is closed.")
def serve(site: str, host: str, port: int, workers: int, server: str, no_watch: bool, base_url: str | None,
          proxy_headers: bool, forwarded_allow_ips: str | None, header_timeout: float) -> None:
    """Serve SITE (a Grav `user/` folder or a folder holding one) over HTTP."""
    import os

    import uvicorn

    from qalam.content import bulk
    from qalam.news import counter as view_counter
    from qalam.serve import serving
    from qalam.serve.slowclients import ENV_HEADER_TIMEOUT, HeaderTimeoutProtocol

    _port_free_or_exit(host, port)
    if base_url is not None:
        from qalam.content.config import _http_base

        if not _http_base(base_url.strip()):
            raise click.UsageError(f"--base-url: {base_url!r} is not an http(s) address (e.g. https://example.kz)")
        os.environ[serving.ENV_BASE_URL] = base_url.strip()
    if proxy_headers or forwarded_allow_ips:
        os.environ[serving.ENV_TRUSTED_PROXIES] = forwarded_allow_ips or "127.0.0.1"
    os.environ[ENV_HEADER_TIMEOUT] = str(header_timeout)

    if server == "granian":
        import importlib.util

        if importlib.util.find_spec("granian") is None:
            raise click.UsageError("--server granian: granian is not installed; pip install 'qalam[granian]'")
    started = time.perf_counter()
    # The index is brought up to date once, here, with a progress bar; when nothing changed
    # it since the last walk of the folders, that walk is used and repeated in the background
    # once serving (content/snapshot.py).
    bulk.keep_long_lived()
    the_site = open_site(site, overrides=serving.config_overrides(), from_snapshot=True)
    langs = ", ".join(the_site.language_codes) if the_site.languages.enabled else "single language"
    err_console.print(
        f"[bold green]Qalam[/] serving [bold]{the_site.user_dir}[/] ({langs}; "
        f"{the_site.last_sync.parsed + the_site.last_sync.unchanged} files indexed in "
        f"{time.perf_counter() - started:.2f} s) "
        f"at [link]http://{host}:{port}[/link]"
        + (f" with {workers} worker processes" if workers > 1 else "")
        + (" (granian)" if server == "granian" else "") + "  (Ctrl+C to stop)"
    )
    if host not in ("127.0.0.1", "localhost", "::1") and not the_site.config.base_url \
            and len(the_site.config.hosts) <= 4:
        err_console.print(
            f"[yellow]warning:[/] listening on {host}, but only loopback host names are answered: set "
            "site.base_url (or --base-url), or list the site's names in qalam.hosts (docs/security.md)")
    # uvloop and httptools when installed (uvicorn[standard]); the ASGI lifespan starts and
    # stops each process's background services (serve/serving.py).
    # Forwarded headers are handled by the app (serve/serving.build_app) and only when configured:
    # uvicorn's own default believes them from 127.0.0.1, which a site must opt into.
    options = dict(host=host, port=port, log_level="warning", lifespan="on", loop="auto",
                   http=HeaderTimeoutProtocol, proxy_headers=False)
    if workers == 1 and server == "uvicorn":
        # The beacon, then the page cache (memory, then disk), then Django (docs/serving.md).
        app = serving.ServingApp(the_site, watch=not no_watch)
        view_counter.install_signal_handlers()  # SIGTERM exits through atexit too
        try:
            uvicorn.run(app, **options)
        finally:
            app.services.stop()  # idempotent: the lifespan shutdown normally did it
        return
    # Several processes: uvicorn's supervisor starts them (fresh interpreters, no fork of this
    # one's threads and SQLite handles), restarts one that dies, and stops them all on SIGTERM.
    # granian always runs its workers as child processes.
    the_site.close()
    os.environ[serving.ENV_SITE] = str(the_site.user_dir)
    os.environ[serving.ENV_WATCH] = "0" if no_watch else "1"
    if server == "granian":
        serving.run_granian(host, port, workers)
    else:
        uvicorn.run("qalam.serve.serving:app_factory", factory=True, workers=workers, **options)


@cli.command()
@click.argument("path", type=click.Path(file_okay=False))
@click.option("--title", default="Qalam", show_default=True, help="The site's name.")
def new(path: str, title: str) -> None:
    """Create a new trilingual (kk, ru, en) site in PATH, ready for `qalam serve PATH`."""
    from qalam.cli.new_site import NewSiteError, create_site

    try:
        root = create_site(path, title=title)
    except NewSiteError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"created {root}: pages in Kazakh, Russian and English, a news section with a first article")
    click.echo(f"next: qalam serve {root}   (then open http://127.0.0.1:8000)")


def _port_free_or_exit(host: str, port: int) -> None:
    """Say plainly that the port is taken (and which one to try), before anything is announced."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                click.echo(f"error: port {port} is in use; try --port {port + 1}", err=True)
            elif err.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                click.echo(f"error: cannot listen on {host}: this machine has no such address "
                           "(try --host 127.0.0.1)", err=True)
            elif err.errno == errno.EACCES:
                click.echo(f"error: port {port} needs administrator rights; try --port 8000", err=True)
            else:
                click.echo(f"error: cannot listen on {host}:{port}: {err.strerror}", err=True)
            sys.exit(1)


@cli.command()
@click.argument("site", type=click.Path(exists=True, file_okay=False))
@click.option("--strict", is_flag=True, help="Treat warnings (e.g. a missing image) as errors.")
def check(site: str, strict: bool) -> None:
    """Validate every page and config file; print `file:line: problem`; exit 1 on errors."""
    # Every problem is printed once, below: the warnings the site also logs while it is read
    # and rendered would repeat them on stderr.
    loggers = [logging.getLogger(name) for name in ("qalam.site", "qalam.render", "qalam.config")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        the_site = open_site(site)
        problems = the_site.problems()
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)
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
@click.option("--jobs", "-j", default=1, show_default=True, type=click.IntRange(min=1),
              help="Processes that render and analyse pages for the search index (e.g. the number of CPUs).")
def index(site: str, rebuild: bool, search: bool, jobs: int) -> None:
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
        sr = _sync_search(service, jobs=jobs)
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


def _sync_search(service, *, quiet: bool = False, jobs: int = 1):
    with Progress(
        TextColumn("[bold]indexing search[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console, transient=True, disable=quiet,
    ) as progress:
        task = progress.add_task("search", total=None)
        return service.sync(progress=lambda done, total: progress.update(task, completed=done, total=total), jobs=jobs)


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


#: Broken links listed by `qalam build` without -v (a legacy archive may have thousands).
BROKEN_SHOWN = 50


@cli.command()
@click.argument("site", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False),
              help="Folder to write the static site to (created; files from an earlier build are updated).")
@click.option("--base-url", default=None, metavar="URL",
              help="Public address (https://example.kz) for absolute links in feeds, sitemaps and share tags.")
@click.option("--jobs", "-j", default=1, show_default=True, type=click.IntRange(min=1),
              help="Render in N processes (forked after the site is loaded; Linux and macOS).")
@click.option("--full", is_flag=True,
              help="Render every URL, even when only some pages' text changed since the last build.")
@click.option("--watch", is_flag=True,
              help="After the build, keep the site loaded and rebuild (incrementally) whenever a file changes.")
def build(site: str, out: str, base_url: str | None, jobs: int, full: bool, watch: bool) -> None:
    """Export SITE as static files into OUT: every page, listing, feed, sitemap, media and redirect."""
    from qalam.build.export import build as export

    if base_url and not base_url.startswith(("http://", "https://")):
        raise click.UsageError(f"--base-url: {base_url!r} is not an http(s) address (e.g. https://example.kz)")
    from qalam.content import bulk

    bulk.keep_long_lived()  # the pages live as long as the build (content/bulk.py)
    the_site = open_site(site)
    with Progress(
        TextColumn("[bold]rendering[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console, transient=True,
    ) as progress:
        task = progress.add_task("build", total=None)
        report = export(the_site, out, base_url=base_url, jobs=jobs, full=full,
                        progress=lambda done, total: progress.update(task, completed=done, total=total))
    _build_summary(report, out)
    if watch:
        _watch_build(the_site, out, base_url)
    elif report.errors or report.refused:
        sys.exit(1)


def _build_summary(report, out: str) -> None:
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for source, status in report.errors:
        click.echo(f"error: {source} answered {status}", err=True)
    for refused in report.refused:
        click.echo(f"error: not written: {refused} (`qalam check` names the page)", err=True)
    by_link: dict[str, list[str]] = {}
    for page, link in report.broken:
        by_link.setdefault(link, []).append(page)
    verbose = logging.getLogger().isEnabledFor(logging.INFO)
    shown = sorted(by_link.items()) if verbose else sorted(by_link.items())[:BROKEN_SHOWN]
    for link, pages in shown:
        more = f" and {len(pages) - 1} more" if len(pages) > 1 else ""
        click.echo(f"broken link: {link} (in {pages[0]}{more})", err=True)
    if len(shown) < len(by_link):
        click.echo(f"... and {len(by_link) - len(shown)} more broken links (`qalam -v build` lists them all)", err=True)
    if verbose:
        click.echo("time per phase: " + ", ".join(f"{k} {v:.2f} s" for k, v in report.phases.items()), err=True)
    if report.full_reason:
        click.echo(f"rendered every URL: {report.full_reason}", err=True)
    else:
        changed = len(report.changed_files)
        click.echo(f"incremental: {changed} page file{'s' if changed != 1 else ''} changed, "
                   f"{report.rendered} URL{'s' if report.rendered != 1 else ''} rendered again", err=True)
    click.echo(
        f"{report.files} files ({len(report.written)} written, {report.unchanged} unchanged, "
        f"{len(report.removed)} removed), {len(report.redirects)} redirects, {len(report.broken)} broken links "
        f"in {report.seconds:.2f} s -> {out}"
    )


def _watch_build(the_site: Site, out: str, base_url: str | None) -> None:
    """Rebuild whenever a file of the site changes, until Ctrl+C: the site stays loaded, so a
    rebuild costs a folder scan plus what the change affects (docs/export.md)."""
    from watchfiles import Change, watch

    from qalam.build.export import build as export

    skip = (str(the_site.state_dir.resolve()), str(Path(out).resolve()))

    def settle() -> None:
        # While waiting: collect the last rebuild's garbage, then freeze the loaded site so the
        # next rebuild's garbage collections do not scan it again (a third of a rebuild on 10k).
        gc.unfreeze()
        gc.collect()
        gc.freeze()

    def rebuild(started: float) -> None:
        report = export(the_site, out, base_url=base_url)
        _build_summary(report, out)
        err_console.print(f"[bold green]rebuilt[/] in {time.perf_counter() - started:.2f} s; watching")
        settle()

    settle()
    ready = False
    try:
        # yield_on_timeout: an empty set once the watcher runs, to catch up with edits made
        # between the first build and then (they raise no event).
        for changes in watch(the_site.user_dir, watch_filter=lambda _c, path: not path.startswith(skip),
                             debounce=400, step=20, raise_interrupt=False, yield_on_timeout=True,
                             rust_timeout=1000):
            started = time.perf_counter()
            if not changes:
                if not ready:
                    ready = True
                    if the_site.refresh().changed:
                        rebuild(started)
                    err_console.print(f"[bold green]watching[/] {the_site.user_dir} (Ctrl+C to stop)")
                continue
            if all(change == Change.modified for change, _path in changes):
                the_site.refresh_changed(path for _change, path in changes)
            else:
                the_site.refresh()
            rebuild(started)
    except KeyboardInterrupt:
        pass
    finally:
        gc.unfreeze()


from qalam.cli.importing import import_group  # noqa: E402  (qalam import text|html|wordpress)

cli.add_command(import_group)

from qalam.cli.users import user_group  # noqa: E402  (qalam user add|list|set-role|disable|token)

cli.add_command(user_group)

from qalam.cli.db import db_group  # noqa: E402  (qalam db migrate)

cli.add_command(db_group)


def main() -> None:
    cli()


if __name__ == "__main__":  # pragma: no cover
    main()
