"""`flask --app wsgi hub backup`, `hub export`, `hub import`, `hub retention` and `hub
legal-hold`: the data lifecycle from the command line."""

import shlex
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from hub import audit
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.lifecycle import backup as backups
from hub.lifecycle import export, importing, ownership, retention
from hub.models import Case, Hub


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--print-command",
    is_flag=True,
    help="PostgreSQL: print the pg_dump command instead of running it.",
)
def backup(path: Path, print_command: bool) -> None:
    """Back the whole database up to PATH while the hub runs: SQLite's online backup, or
    pg_dump's custom format on PostgreSQL. docs/operations.md says how to restore it."""
    kind = backups.dialect()
    try:
        if kind == "sqlite":
            pages = backups.sqlite_backup(path)
            said = f"SQLite online backup written to {path} ({pages} pages)."
        elif kind == "postgresql":
            if print_command:
                click.echo(shlex.join(backups.pg_dump_command(path)))
                return
            backups.pg_backup(path)
            said = f"pg_dump (custom format) written to {path}."
        else:
            click.echo(f"No backup is known for {kind}.", err=True)
            sys.exit(1)
    except backups.BackupError as refused:
        click.echo(str(refused), err=True)
        sys.exit(1)
    audit.record("database_backup", details={"format": kind}, commit=True)
    click.echo(said)
    click.echo("Check it after a restore with `flask --app wsgi hub audit verify`.")


@click.command("export")
@click.argument("slug")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_command(slug: str, path: Path) -> None:
    """Write hub SLUG's data (its records, the agencies and people they name, and its audit
    entries) to the archive PATH, for `hub import` on another instance. Audited."""
    try:
        manifest = export.export_hub(slug, path)
    except export.ExportRefused as refused:
        db.session.rollback()
        click.echo(str(refused), err=True)
        sys.exit(1)
    db.session.commit()
    tables = manifest["tables"]
    shared = sum(tables[name]["rows"] for name in ownership.SHARED)
    entries = manifest["audit"]["entries"]
    rows = sum(t["rows"] for t in tables.values()) - shared - entries
    click.echo(
        f"{slug}: {rows:,} rows, {shared} agencies and people, {len(manifest['files'])} "
        f"evidence files and {entries:,} audit entries written to {path}."
    )
    click.echo(f"Source audit head: {manifest['audit']['source_head_hash']}")


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--same-agencies",
    is_flag=True,
    help="Agencies here with the names of the hub's agencies are the same organisations: "
    "join them rather than refuse the import.",
)
@with_appcontext
def import_command(path: Path, same_agencies: bool) -> None:
    """Import a hub exported by `hub export` from another instance: all of it or nothing.
    Refused if a hub with its slug is here already, or an agency with one of its agencies'
    names unless --same-agencies says they are the same organisations."""
    try:
        done = importing.import_hub(path, same_agencies=same_agencies)
    except importing.ImportRefused as refused:
        db.session.rollback()
        click.echo(f"Refused, nothing imported. {refused}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(
        f"{done['hub']}: {done['rows']:,} rows imported, {done['new_agencies_and_people']} "
        f"new agencies and people, {done['audit_entries']:,} audit entries chained here."
    )
    click.echo("People new to this instance have no password yet: send them a password link.")


def _hub_or_exit(slug: str) -> Hub:
    hub = db.session.execute(select(Hub).where(Hub.slug == slug)).scalar_one_or_none()
    if hub is None:
        click.echo(f"No hub is called {slug}.", err=True)
        sys.exit(1)
    return hub


@click.command("retention")
@click.option("--hub", "slug", required=True, help="The hub's slug.")
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="CATEGORY=MONTHS",
    help="Set a period, e.g. victim_contact=24 or not_taken_on=12 (repeatable).",
)
@click.option("--run", "run_now", is_flag=True, help="End what is due now (the clock does daily).")
@with_appcontext
def retention_command(slug: str, settings, run_now: bool) -> None:
    """Show (or set) a hub's retention periods; with --run, end the retention of what is due
    and report what was anonymised and what was refused (open cases, legal holds)."""
    hub = _hub_or_exit(slug)
    if settings:
        try:
            changes = {k: int(v) for k, v in (s.split("=", 1) for s in settings)}
            retention.set_periods(hub, changes)
        except ValueError as refused:
            click.echo(f"Not set: {refused}.", err=True)
            sys.exit(1)
    for category, months in retention.periods(hub.id).items():
        click.echo(f"{category:<22} {months:>4} months")
    if run_now:
        report = retention.run(utcnow(), hub_id=hub.id)
        for kind, record_id, category, count in report.ended:
            click.echo(f"Anonymised: {kind} {record_id}, {category}: {count} records.")
        for kind, record_id, category, reason in report.refused:
            click.echo(f"Refused:    {kind} {record_id}, {category}: {reason.replace('_', ' ')}.")
    db.session.commit()


@click.command("legal-hold")
@click.option("--hub", "slug", required=True, help="The hub's slug.")
@click.argument("reference")
@click.option("--lift", is_flag=True, help="Lift the hold instead.")
@with_appcontext
def legal_hold_command(slug: str, reference: str, lift: bool) -> None:
    """Place (or --lift) a legal hold on case REFERENCE: none of its records is anonymised at
    the end of retention while it is held. Audited."""
    hub = _hub_or_exit(slug)
    case = db.session.execute(
        select(Case).where(Case.hub_id == hub.id, Case.reference == reference)
    ).scalar_one_or_none()
    if case is None:
        click.echo(f"{hub.name} has no case {reference}.", err=True)
        sys.exit(1)
    if lift:
        said = "lifted" if retention.lift_hold(case, None, utcnow()) else "was not held"
    else:
        retention.place_hold(case, None, utcnow())
        said = "held"
    db.session.commit()
    click.echo(f"{reference}: {said}.")
