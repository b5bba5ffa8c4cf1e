"""Backups restore to a hub whose audit chain verifies: SQLite's online backup taken while a
write is in progress, and pg_dump → pg_restore --clean --if-exists into a fresh database."""

import sqlite3
import subprocess

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from hub import audit
from hub.extensions import db
from hub.lifecycle import backup as backups
from hub.models import AuditEntry, Case, Hub
from tests.conftest import make_app
from tests.lifecycle.support import fresh_database, needs_pg_tools
from tests.support.factories import build_world, make_case


def _hub_with_cases(url):
    app = make_app(url, {})
    with app.app_context():
        upgrade()
        world = build_world()
        hub = db.session.get(Hub, world.hub_id)
        for n in range(3):
            case = make_case(hub, f"CASE-{n}")
            audit.record("case_opened", hub=hub, target=case)
        db.session.commit()
    return app


def _counts(app):
    with app.app_context():
        found = (
            db.session.scalar(select(func.count()).select_from(Case)),
            db.session.scalar(select(func.count()).select_from(AuditEntry)),
            audit.verify_chain(),
        )
        db.engine.dispose()
        return found


@pytest.mark.own_database
def test_sqlite_online_backup_during_a_write_restores_a_verifying_chain(tmp_path):
    with fresh_database("backup", kind="sqlite") as url:
        app = _hub_with_cases(url)
        cases, entries, _ = _counts(app)
        # Another process is half-way through a write: a case and its audit entry, uncommitted.
        writer = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        columns = [row[1] for row in writer.execute('PRAGMA table_info("case")') if row[1] != "id"]
        copied = ", ".join("'HALF-WRITTEN'" if c == "reference" else c for c in columns)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(
            f'INSERT INTO "case" ({", ".join(columns)}) SELECT {copied} FROM "case" LIMIT 1'
        )
        target = tmp_path / "backup.sqlite3"
        try:
            with app.app_context():
                pages = backups.sqlite_backup(target)
        finally:
            writer.execute("COMMIT")
            writer.close()
        assert pages > 0
        restored = make_app(f"sqlite:///{target}", {})
        restored_cases, restored_entries, report = _counts(restored)
        assert (restored_cases, restored_entries) == (cases, entries)
        assert report.broken_at is None and report.checked == entries
        with restored.app_context():
            refs = set(db.session.scalars(select(Case.reference)))
            db.engine.dispose()
        assert "HALF-WRITTEN" not in refs and "CASE-2" in refs
        assert _counts(app)[0] == cases + 1  # the write went on to commit in the original


@pytest.mark.own_database
def test_the_backup_command_writes_once_and_is_audited(tmp_path):
    with fresh_database("backupcli", kind="sqlite") as url:
        app = _hub_with_cases(url)
        target = tmp_path / "hub.sqlite3"
        runner = app.test_cli_runner()
        first = runner.invoke(args=["hub", "backup", str(target)])
        assert first.exit_code == 0, first.output
        assert "online backup" in first.output
        assert target.stat().st_mode & 0o077 == 0  # every hub's data: its owner's alone
        again = runner.invoke(args=["hub", "backup", str(target)])
        assert again.exit_code == 1 and "exists already" in again.output
        with app.app_context():
            actions = list(db.session.scalars(select(AuditEntry.action)))
            assert actions.count("database_backup") == 1
            assert audit.verify_chain().broken_at is None
            db.engine.dispose()


@pytest.mark.own_database
@needs_pg_tools
def test_pg_dump_restores_with_pg_restore_into_a_fresh_database(tmp_path):
    with fresh_database("dump") as source_url, fresh_database("restore") as target_url:
        app = _hub_with_cases(source_url)
        dump = tmp_path / "hub.dump"
        result = app.test_cli_runner().invoke(args=["hub", "backup", str(dump)])
        assert result.exit_code == 0, result.output
        cases, entries, _ = _counts(app)
        done = subprocess.run(
            backups.pg_restore_command(dump, target_url), capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        # --clean --if-exists over a database that already holds the hub replaces it.
        again = subprocess.run(
            backups.pg_restore_command(dump, target_url), capture_output=True, text=True
        )
        assert again.returncode == 0, again.stderr
        restored_cases, restored_entries, report = _counts(make_app(target_url, {}))
        assert restored_cases == cases
        # The backup's own audit entry is written after the dump, so the dump lacks it.
        assert restored_entries == entries - 1
        assert report.broken_at is None and report.checked == restored_entries
