"""`flask --app wsgi hub backup`, `hub export` and `hub import`: the data lifecycle from the
command line."""

import shlex
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from hub import audit
from hub.extensions import db
from hub.lifecycle import backup as backups
from hub.lifecycle import export, importing


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
    rows = sum(t["rows"] for t in manifest["tables"].values())
    click.echo(
        f"{slug}: {rows:,} rows in {len(manifest['tables'])} tables, "
        f"{len(manifest['files'])} evidence files and {manifest['audit']['entries']:,} audit "
        f"entries written to {path}."
    )
    click.echo(f"Source audit head: {manifest['audit']['source_head_hash']}")


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_command(path: Path) -> None:
    """Import a hub exported by `hub export` from another instance: all of it or nothing.
    Refused if a hub with its slug is here already."""
    try:
        done = importing.import_hub(path)
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
