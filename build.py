"""Command line: a thin shell over the `builder` library.

    python build.py build          build site/ from data/
    python build.py serve          preview site/ on 127.0.0.1
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from builder.build import build as build_site
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
def build(data_dir: Path | None, output_dir: Path | None, base_url: str | None,
          settings_file: Path | None) -> None:
    """Build the static site from the snapshot."""
    settings = load_settings(settings_file, data_dir=data_dir, output_dir=output_dir, base_url=base_url)
    interactive = sys.stderr.isatty()

    def progress(stage: str) -> None:
        if interactive:
            click.echo(f"  {stage} ...", err=True)

    result = build_site(settings, progress=progress)
    click.echo(f"Built {result.files_written} files ({result.bytes_written / 1e6:.1f} MB) "
               f"into {result.output_dir} in {result.seconds:.2f} s.")


if __name__ == "__main__":
    cli()
