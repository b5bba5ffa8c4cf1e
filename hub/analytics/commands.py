"""`flask --app wsgi hub import-police-uk` and `hub monthly-report`: analytics from the
command line."""

import sys
from datetime import date
from pathlib import Path

import click
from sqlalchemy import select
from tqdm import tqdm

from hub.analytics import area, police_uk, reports
from hub.extensions import db
from hub.models import Hub, ImportStatus


def _hub_or_exit(slug: str) -> Hub:
    hub = db.session.execute(select(Hub).where(Hub.slug == slug)).scalar_one_or_none()
    if hub is None:
        click.echo(f"No hub is called {slug}.", err=True)
        sys.exit(1)
    return hub


@click.command("import-police-uk")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--hub", "slug", required=True, help="The hub's slug, e.g. city-of-london.")
@click.option("--all-crimes", is_flag=True, help="Keep every crime type, not only ASB.")
@click.option(
    "--area",
    "places",
    multiple=True,
    help="Set the hub's area first: a local authority name or LSOA code (repeatable).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def import_police_uk(paths, slug: str, all_crimes: bool, places, quiet: bool) -> None:
    """Import police.uk street-level CSV files (or directories of them) into a hub's context
    incidents. Safe to run again: rows the hub holds already are skipped."""
    hub = _hub_or_exit(slug)
    if places:
        area.set_places(hub, area.parse_places("\n".join(places)))
    sources = police_uk.files_at(list(paths))
    if not sources:
        click.echo("No .csv files found there.", err=True)
        sys.exit(1)
    job = police_uk.start(hub, source="command", all_crimes=all_crimes)
    db.session.commit()
    bar = None

    def commit(current):
        nonlocal bar
        db.session.commit()
        if quiet or not current.rows_total:
            return
        if bar is None:
            bar = tqdm(total=current.rows_total, unit=" rows", desc="Importing", file=sys.stderr)
        bar.update(current.rows_done - bar.n)

    job = police_uk.run(job, sources, commit)
    if bar is not None:
        bar.close()
    if job.status == ImportStatus.REFUSED:
        click.echo(f"Refused, nothing imported. {job.error}", err=True)
        sys.exit(1)
    click.echo(f"{hub.name}: {len(sources)} file(s), {job.rows_done:,} rows read.")
    click.echo(f"  added:   {job.added:,}")
    for label, count in police_uk.skip_lines(job):
        click.echo(f"  skipped: {count:,}  {label}")


@click.command("monthly-report")
@click.option("--hub", "slug", required=True, help="The hub's slug.")
@click.option("--month", required=True, help="The month reported, like 2026-11.")
def monthly_report(slug: str, month: str) -> None:
    """Build and file a hub's monthly partnership report (once: an existing one is kept)."""
    hub = _hub_or_exit(slug)
    try:
        first = date.fromisoformat(month + "-01")
    except ValueError:
        click.echo("Give the month like 2026-11.", err=True)
        sys.exit(1)
    report, created = reports.file_report(hub, first)
    db.session.commit()
    what = "Filed" if created else "Already filed"
    click.echo(f"{what}: {hub.name}, {first:%B %Y} ({len(report.pdf):,} bytes of PDF).")
