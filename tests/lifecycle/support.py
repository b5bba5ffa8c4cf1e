"""Databases of their own for the lifecycle tests: a backup is restored, and a hub imported,
into a database other than the one it came from, as on another machine."""

import os
import shutil
import tempfile
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import TEST_DATABASE_URL

ON_POSTGRES = TEST_DATABASE_URL.startswith("postgres")


def _admin_url() -> str:
    from hub.config import normalise_database_url

    return normalise_database_url(TEST_DATABASE_URL)


@contextmanager
def fresh_database(label: str, kind: str | None = None):
    """The URL of a new, empty database of the suite's kind (or `kind`), dropped afterwards.
    PostgreSQL: a database (not a schema), so pg_dump and pg_restore see it whole."""
    kind = kind or ("postgresql" if ON_POSTGRES else "sqlite")
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix=f"fh-{label}-")
        try:
            yield f"sqlite:///{os.path.join(folder, 'hub.sqlite3')}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"fh_{label}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(_admin_url()).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


needs_pg_tools = pytest.mark.skipif(
    not ON_POSTGRES or shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
    reason="needs TEST_DATABASE_URL on PostgreSQL and pg_dump/pg_restore on PATH",
)
