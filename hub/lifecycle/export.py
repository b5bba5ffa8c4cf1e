"""One hub's data as an archive another instance can import (hub.lifecycle.importing).

The archive is a zip file:

- `manifest.json`: the format and its version, the hub, when, the schema revision, the order
  the tables must be inserted in, each table's row count and SHA-256, each evidence file's
  SHA-256, and the audit log's head at the moment of export;
- `manifest.sha256`: the manifest's own SHA-256;
- `tables/<table>.jsonl`: one JSON object per row, every column, ids as they are here;
- `files/<key>`: the evidence files the hub's records name.

Which rows are the hub's is worked out from the models (hub.lifecycle.ownership). The export
is audited, and the entry saying so is itself in the archive: it is the head of the chain
the archive records.
"""

import base64
import hashlib
import json
import os
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import inspect, select

from hub import audit
from hub.core.storage import evidence_store
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.lifecycle import ownership
from hub.models import AuditEntry, Hub

FORMAT = "focus-hub-hub-export"
VERSION = 1
# Columns that hold a key of the evidence store: the file goes in the archive beside the row.
FILE_COLUMNS = {("case_evidence", "storage_key")}


class ExportRefused(ValueError):
    """The export cannot be made; the message says why."""


def encode(value):
    """A column's value as JSON: times and dates in ISO 8601, bytes in base64."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, Decimal):
        return str(value)
    return value


def schema_revision() -> str | None:
    """The alembic revision the database is at, when it was built by the migrations."""
    if not inspect(db.session.connection()).has_table("alembic_version"):
        return None
    return db.session.execute(db.text("SELECT version_num FROM alembic_version")).scalar()


def _snapshot() -> None:
    """PostgreSQL: read every table from one snapshot, so the archive is consistent while the
    hub goes on working. (SQLite's command-line transaction holds the write lock already.)"""
    if db.session.get_bind().dialect.name == "postgresql" and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def export_hub(slug: str, path: Path, actor=None) -> dict:
    """Write the hub's archive to `path` (which must not exist). Returns the manifest.

    The export's audit entry is written and committed first, in a transaction of its own: on
    PostgreSQL the archive is then read from one REPEATABLE READ snapshot, and an entry
    chained from inside such a snapshot could miss entries others committed meanwhile and fork
    the chain. The archive's audit head is the hub's newest entry in the snapshot (the export's
    own, or one written just after it). A failed export is audited too."""
    path = Path(path)
    if path.exists():
        raise ExportRefused(f"{path} exists already: choose a new file.")
    hub = db.session.execute(select(Hub).where(Hub.slug == slug)).scalar_one_or_none()
    if hub is None:
        raise ExportRefused(f"No hub is called {slug}.")
    hub_id = hub.id
    audit.record(
        "hub_exported", user=actor, hub=hub, details={"format": FORMAT, "version": VERSION}
    )
    db.session.commit()
    try:
        return _write(hub_id, slug, path)
    except BaseException:
        db.session.rollback()
        audit.record("hub_export_failed", user=actor, hub=hub_id, outcome="error", commit=True)
        raise


def _write(hub_id: int, slug: str, path: Path) -> dict:
    _snapshot()
    head = (
        db.session.execute(
            select(AuditEntry).where(AuditEntry.hub_id == hub_id).order_by(AuditEntry.id.desc())
        )
        .scalars()
        .first()
    )
    plan = ownership.plan()
    found = ownership.collect(hub_id, plan)
    meta = db.metadata.tables
    order = list(ownership.SHARED) + plan.owned
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "hub": slug,
        "exported_at": utcnow().replace(microsecond=0).isoformat(),
        "schema": schema_revision(),
        "order": order,
        "tables": {},
        "files": {},
        "audit": {"entries": 0, "source_head_id": head.id, "source_head_hash": head.entry_hash},
    }
    store = evidence_store()
    keys: list[str] = []  # evidence files the rows name, added after the tables
    try:
        # The archive holds the hub's personal data: readable by the file's owner alone.
        with (
            os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file,
            zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        ):
            for name in order:
                table = meta[name]
                ids = found[name]
                left_out = set(ownership.CREDENTIALS.get(name, ()))
                columns = [c for c in table.columns if c.name not in left_out]
                statement = select(*columns).where(table.c.id.in_(ids)).order_by(table.c.id)
                digest, count = hashlib.sha256(), 0
                with archive.open(f"tables/{name}.jsonl", "w") as out:
                    rows = db.session.execute(statement.execution_options(yield_per=1000))
                    for row in rows.mappings():
                        line = json.dumps(
                            {k: encode(v) for k, v in row.items()}, sort_keys=True
                        ).encode()
                        out.write(line + b"\n")
                        digest.update(line + b"\n")
                        count += 1
                        keys += [row[c] for t, c in FILE_COLUMNS if t == name and row[c]]
                manifest["tables"][name] = {"rows": count, "sha256": digest.hexdigest()}
            for key in keys:
                try:
                    data = store.get(key)
                except (OSError, KeyError):
                    continue  # deleted at the end of its retention: the record says so
                archive.writestr(f"files/{key}", data)
                manifest["files"][key] = hashlib.sha256(data).hexdigest()
            manifest["audit"]["entries"] = manifest["tables"][AuditEntry.__tablename__]["rows"]
            text = json.dumps(manifest, indent=2, sort_keys=True).encode()
            archive.writestr("manifest.json", text)
            archive.writestr("manifest.sha256", hashlib.sha256(text).hexdigest() + "\n")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return manifest
