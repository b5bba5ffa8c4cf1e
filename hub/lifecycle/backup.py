"""Whole-database backups: SQLite's online backup API, or PostgreSQL's pg_dump.

SQLite: `sqlite3.Connection.backup` copies the database page by page from a read
transaction, so it sees one committed state while the web and the scheduler go on writing
(WAL mode: readers and the writer never block each other). A copy of the file itself, taken
while a transaction commits, can be torn.

PostgreSQL: `pg_dump -Fc` (custom format, restored with `pg_restore --clean --if-exists`) also
reads one snapshot; the hub only builds its command line from the database URL.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from hub.extensions import db


class BackupError(RuntimeError):
    """The backup could not be taken; the message says why, for the command line."""


def dialect() -> str:
    return db.engine.dialect.name


def _owner_only(path: Path) -> None:
    """Create the empty backup file readable by its owner alone: it will hold every hub's
    personal data. Refuses an existing file (never overwrites a backup)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise BackupError(f"{path} exists already: choose a new file.") from None


def sqlite_backup(path: Path) -> int:
    """Copy the hub's SQLite database to `path` with the online backup API. Returns the
    number of pages copied. Refuses to overwrite an existing file."""
    source_file = db.engine.url.database
    if not source_file or source_file == ":memory:":
        raise BackupError("The hub's SQLite database is in memory: there is no file to back up.")
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} exists already: choose a new file.")
    if path.resolve() == Path(source_file).resolve():
        raise BackupError("The backup must not be the database itself.")
    _owner_only(path)
    source = sqlite3.connect(f"file:{source_file}?mode=ro", uri=True)
    target = sqlite3.connect(path)
    try:
        source.backup(target)
        pages = target.execute("PRAGMA page_count").fetchone()[0]
    except BaseException:
        target.close()
        path.unlink(missing_ok=True)
        raise
    finally:
        target.close()
        source.close()
    return pages


def libpq_url(url=None) -> str:
    """The database URL as libpq (pg_dump, psql) reads it: no SQLAlchemy driver name and no
    password, which goes in PGPASSWORD (libpq_env) so that `ps` never shows it."""
    parsed = make_url(url or db.engine.url)
    return parsed.set(drivername="postgresql", password=None).render_as_string()


def libpq_env(url=None) -> dict:
    env = dict(os.environ)
    password = make_url(url or db.engine.url).password
    if password:
        env["PGPASSWORD"] = str(password)
    return env


def pg_dump_command(path: Path, url=None) -> list[str]:
    """pg_dump in its custom format (compressed, restorable table by table with pg_restore),
    without owners or grants so it restores under another role too (`hub audit
    grant-app-role` gives the application role its rights again)."""
    return ["pg_dump", "-Fc", "--no-owner", "--no-privileges", "-f", str(path), libpq_url(url)]


def pg_restore_command(path: Path, url) -> list[str]:
    """pg_restore into the database at `url`, replacing whatever of the hub's it holds."""
    return [
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "-d",
        libpq_url(url),
        str(path),
    ]


def pg_backup(path: Path) -> None:
    """Run pg_dump for the hub's PostgreSQL database into `path`."""
    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump is not on PATH: install PostgreSQL's client tools.")
    if Path(path).exists():
        raise BackupError(f"{path} exists already: choose a new file.")
    _owner_only(Path(path))  # pg_dump writes into it and keeps its mode
    # The arguments are a list built here (no shell); the URL is the hub's own setting.
    command = pg_dump_command(path)
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=libpq_env())  # noqa: S603
    if done.returncode != 0:
        Path(path).unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
