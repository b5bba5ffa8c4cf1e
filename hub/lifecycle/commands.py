"""`flask --app wsgi hub backup`, `hub export` and `hub import`: the data lifecycle from the
command line."""

import shlex
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from hub import audit
from hub.lifecycle import backup as backups


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
