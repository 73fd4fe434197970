"""Command line: a thin shell over the `builder` library.

    python build.py build          build site/ from data/
    python build.py serve          preview site/ on 127.0.0.1 (--watch: build again on every edit)
    python build.py crawl          crawl an API v4 into data/
    python build.py import-dump F  import a database dump into data/
"""

from __future__ import annotations

import gc
import sys
from functools import partial
from pathlib import Path

import click

from builder.build import build as build_site
from builder.build import check_build
from builder.settings import load_settings

PATH = click.Path(path_type=Path, resolve_path=True)


@click.group()
def cli() -> None:
    """Build and publish a static snapshot of Django Packages."""


@cli.command()
@click.option("--data", "data_dir", type=PATH, help="Snapshot folder to read (default: data/).")
@click.option("--out", "output_dir", type=PATH, help="Folder to write the site into (default: site/).")
@click.option("--base-url", help="Absolute URL the site is served at.")
@click.option("--settings", "settings_file", type=PATH, help="Settings file (default: site.yml).")
@click.option("--jobs", type=click.IntRange(min=1),
              help="Processes that render (default: one per CPU core); 1 uses the least memory.")
@click.option("--force", is_flag=True, help="Render everything even when no input changed.")
@click.option("--check", is_flag=True,
              help="Build afresh elsewhere and report every difference from the existing output.")
def build(data_dir: Path | None, output_dir: Path | None, base_url: str | None,
          settings_file: Path | None, jobs: int | None, force: bool, check: bool) -> None:
    """Build the static site from the snapshot."""
    settings = load_settings(settings_file, data_dir=data_dir, output_dir=output_dir, base_url=base_url)
    if check:
        differences = check_build(settings, jobs=jobs)
        for line in differences:
            click.echo(line)
        if differences:
            raise click.ClickException(f"{len(differences)} difference(s) from a fresh build")
        click.echo(f"{settings.output_dir} is identical to a fresh build.")
        return
    interactive = sys.stderr.isatty()

    def progress(stage: str) -> None:
        if interactive:
            click.echo(f"  {stage} ...", err=True)

    result = build_site(settings, jobs=jobs, force=force, progress=progress, notice=partial(click.echo, err=True))
    click.echo(result.summary() + ("" if result.skipped else " Preview: python build.py serve"))
    if __name__ == "__main__":  # `python build.py build`, not the tests' in-process calls
        # The process ends with the command: what the build leaves (the snapshot, the templates'
        # environments, which refer to each other) goes with it, not collected object by object
        # as the interpreter shuts down (0.1 s at 6,000 packages).
        gc.freeze()


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port on 127.0.0.1.")
@click.option("--site", "site_dir", type=PATH, help="Built site to serve (default: site/).")
@click.option("--watch", is_flag=True,
              help="Build first, then again whenever the snapshot, templates, static files, content, settings "
                   "or the builder's code change.")
@click.option("--data", "data_dir", type=PATH, help="With --watch: snapshot folder to build from (default: data/).")
@click.option("--settings", "settings_file", type=PATH, help="Settings file (default: site.yml).")
def serve(port: int, site_dir: Path | None, watch: bool, data_dir: Path | None, settings_file: Path | None) -> None:
    """Preview the built site with netlify.toml's rewrites and headers."""
    from builder.serve import make_server
    from builder.watch import BuildProcess, input_roots, serve_and_watch

    if data_dir and not watch:
        raise click.UsageError("--data is for --watch, which builds; serve alone serves the site built")
    settings = load_settings(settings_file, data_dir=data_dir, output_dir=site_dir)
    builds = BuildProcess(settings_file, data_dir=data_dir, output_dir=settings.output_dir)

    def build_once() -> bool:
        ok, message = builds.build()
        click.echo(message, err=not ok)
        return ok

    try:
        if watch:
            build_once()  # a failure leaves the last good site, if any, to serve
        server = make_server(settings.output_dir, port)
        click.echo(f"Serving on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop)"
                   + ("; building again whenever an input changes" if watch else ""))
        try:
            if watch:
                serve_and_watch(server, input_roots(settings, settings_file), build_once, say=click.echo)
            else:
                server.serve_forever()
        finally:
            server.server_close()
    except KeyboardInterrupt:
        pass
    finally:
        builds.close()


@cli.command()
@click.option("--source", default="https://djangopackages.org", show_default=True,
              help="Base URL of a Django Packages API v4 (the live site, a mirror or a static copy).")
@click.option("--data", "data_dir", type=PATH, help="Snapshot folder to replace (default: data/).")
@click.option("--page-size", type=click.IntRange(min=1), default=100, show_default=True,
              help="Objects per list page (?limit=); larger pages mean fewer requests.")
@click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True,
              help="Requests in flight at once.")
@click.option("--rate", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="Most requests per second to the host (0: no cap).")
@click.option("--max-tries", type=click.IntRange(min=1), default=6, show_default=True,
              help="Tries per request before the crawl fails (retries back off exponentially).")
@click.option("--allow-shrink", is_flag=True,
              help="Replace the snapshot even if it drops many packages or grids.")
@click.option("--max-shrink", type=click.FloatRange(0, 1), default=0.10, show_default=True,
              help="Largest share of packages or grids a crawl may drop without --allow-shrink.")
@click.option("--resume", is_flag=True, help="Continue an interrupted crawl from its journaled pages.")
@click.option("--report", "report_path", type=PATH,
              help="JSON report (default: crawl-report.json beside --data).")
def crawl(source: str, data_dir: Path | None, page_size: int, concurrency: int, rate: float,
          max_tries: int, allow_shrink: bool, max_shrink: float, resume: bool,
          report_path: Path | None) -> None:
    """Crawl an API v4 into the snapshot folder (see docs/crawl.md)."""
    from builder.crawl import ClientSettings, CrawlOptions, Progress
    from builder.crawl import crawl as crawl_source
    from builder.settings import Settings

    def progress(p: Progress) -> None:
        click.echo(f"\r  {p.pages_done}/{max(p.pages_expected, p.pages_done)} pages, {p.stats.requests} "
                   f"requests, {p.stats.retries} retries, {p.stats.bytes / 1e6:.1f} MB ", nl=False, err=True)

    options = CrawlOptions(
        page_size=page_size, client=ClientSettings(concurrency=concurrency, rate=rate, max_tries=max_tries),
        allow_shrink=allow_shrink, max_shrink=max_shrink, resume=resume, report_path=report_path,
        progress=progress if sys.stderr.isatty() else None,
    )
    try:
        report = crawl_source(source, data_dir or Settings().data_dir, options)
    except KeyboardInterrupt:
        raise click.ClickException("interrupted; the pages fetched so far are journaled: "
                                   "run again with --resume to continue") from None
    finally:
        if options.progress:
            click.echo(err=True)
    click.echo(report.summary())


@cli.command("import-dump")
@click.argument("dump_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--data", "data_dir", type=PATH, help="Snapshot folder to replace (default: data/).")
def import_dump(dump_file: Path, data_dir: Path | None) -> None:
    """Import a database dump (pg_dump plain or -Fc, or dumpdata JSON) into the snapshot folder."""
    from builder.dump import import_dump as import_file
    from builder.settings import Settings

    click.echo(import_file(dump_file, data_dir or Settings().data_dir).summary())


@cli.command("check")
@click.option("--site", "site_dir", type=PATH, help="Built site to check (default: site/).")
@click.option("--netlify-toml", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Rules that serve URLs without a file (default: netlify.toml, when present).")
@click.option("--max-file-size", type=click.IntRange(min=1), default=5 * 1024 * 1024, show_default=True,
              help="Largest file allowed, in bytes.")
@click.option("--base-url", help="Absolute URL the site was built for (default: from site.yml).")
def check_command(site_dir: Path | None, netlify_toml: Path | None, max_file_size: int,
                  base_url: str | None) -> None:
    """Check a built site: links, JSON, sitemaps, file sizes (exits 1 listing each problem)."""
    from builder.check import SiteCheckError, check_site
    from builder.settings import ROOT

    settings = load_settings(None, output_dir=site_dir, base_url=base_url)
    default_toml = ROOT / "netlify.toml"
    rules = netlify_toml or (default_toml if default_toml.is_file() else None)
    result = check_site(settings.output_dir, base_url=settings.base_url, netlify_toml=rules,
                        max_file_size=max_file_size)
    for problem in result.problems:
        click.echo(str(problem))
    click.echo(result.summary())
    if not result.ok:
        raise SiteCheckError(f"{len(result.problems)} problem(s) in {settings.output_dir}")


if __name__ == "__main__":
    cli()
