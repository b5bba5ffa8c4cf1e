"""Importing a hub exported by another instance (hub.lifecycle.export).

All or nothing: the archive is checked whole first (its format, the manifest's checksum,
every table's and file's SHA-256 and row count, every column known here, and every audit
entry's hash against its content), then every row is written in the caller's one
transaction. A failure anywhere leaves nothing behind (the evidence files written are
removed again). A hub whose slug or name is taken here is refused.

Every row gets a new id here; every reference to it (foreign keys, and the columns that name a
record by kind and id) follows. Agencies and people the instance has already (same name, same
email) are kept as they are; new people arrive without credentials (ownership.CREDENTIALS).

The audit log is one chain for the whole instance, so the hub's entries cannot keep their
places in the source's chain. Each is checked against its own hash, then appended to this
instance's chain in the order it was written, with its time, action and outcome, its ids
remapped, and "imported_from" (its id and hash in the source's log). A closing
"hub_imported" entry records the source chain's head hash and how many entries came. So `hub
audit verify` here covers the imported entries as it does every other, and anyone holding
the source's log can match each entry to its original.
"""

import base64
import hashlib
import json
import zipfile
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Date, DateTime, LargeBinary, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeDecorator

from hub import audit
from hub.core import signals
from hub.core.storage import evidence_store
from hub.extensions import db
from hub.lifecycle import ownership
from hub.lifecycle.export import FILE_COLUMNS, FORMAT, VERSION, schema_revision
from hub.models import AuditEntry, Hub


class ImportRefused(ValueError):
    """The archive cannot be imported; nothing was written. The message says why."""


def _decode(column, value):
    """A value from the archive as the column takes it (export.encode's reverse)."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, LargeBinary):
        return base64.b64decode(value)
    return value


class _Archive:
    def __init__(self, path: Path):
        try:
            self.zip = zipfile.ZipFile(path)
            text = self.zip.read("manifest.json")
            stated = self.zip.read("manifest.sha256").decode().strip()
        except (OSError, KeyError, zipfile.BadZipFile) as error:
            raise ImportRefused(f"{path} is not a hub export: {error}") from error
        if hashlib.sha256(text).hexdigest() != stated:
            raise ImportRefused("The manifest does not match its checksum.")
        self.manifest = json.loads(text)

    def lines(self, table: str):
        with self.zip.open(f"tables/{table}.jsonl") as source:
            yield from source

    def rows(self, table: str):
        for line in self.lines(table):
            yield json.loads(line)


def _check(archive: _Archive) -> None:
    manifest = archive.manifest
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise ImportRefused(
            f"This instance reads {FORMAT} version {VERSION}, not "
            f"{manifest.get('format')} version {manifest.get('version')}."
        )
    here = schema_revision()
    if manifest.get("schema") and here and manifest["schema"] != here:
        raise ImportRefused(
            f"The archive's schema is {manifest['schema']} and this database's is {here}: "
            "bring both to the same release (flask db upgrade) first."
        )
    meta = db.metadata.tables
    expected = list(ownership.SHARED) + ownership.plan().owned
    if manifest.get("order") != expected:
        raise ImportRefused("The archive's tables are not this release's.")
    for name in expected:
        stated = manifest["tables"].get(name)
        if stated is None:
            raise ImportRefused(f"The archive has no {name} table.")
        digest, count = hashlib.sha256(), 0
        for line in archive.lines(name):
            digest.update(line)
            count += 1
            if count == 1:
                unknown = set(json.loads(line)) - set(meta[name].columns.keys())
                if unknown:
                    raise ImportRefused(f"{name} has columns this release lacks: {unknown}.")
        if digest.hexdigest() != stated["sha256"] or count != stated["rows"]:
            raise ImportRefused(f"The archive's {name} table does not match its checksum.")
    for key, stated in manifest["files"].items():
        if hashlib.sha256(archive.zip.read(f"files/{key}")).hexdigest() != stated:
            raise ImportRefused(f"The evidence file {key} does not match its checksum.")


def _check_audit(archive: _Archive) -> list[dict]:
    """The archive's audit entries, each checked against the hash it had in the source's log."""
    table = db.metadata.tables[AuditEntry.__tablename__]
    entries = []
    for row in archive.rows(AuditEntry.__tablename__):
        fields = {k: _decode(table.c[k], v) for k, v in row.items()}
        if audit.entry_hash(AuditEntry(**fields)) != fields["entry_hash"]:
            raise ImportRefused(
                f"Audit entry {fields['id']} does not match its hash: the archive was altered."
            )
        entries.append(fields)
    head = archive.manifest["audit"]
    if not entries or (entries[-1]["id"], entries[-1]["entry_hash"]) != (
        head["source_head_id"],
        head["source_head_hash"],
    ):
        raise ImportRefused("The archive's audit entries do not end at the head it records.")
    return entries


AGENCY = "agency"


class _Ids:
    """Old id -> new id, per table."""

    def __init__(self):
        self.maps: dict[str, dict[int, int]] = {}

    def new(self, table: str, old):
        if old is None:
            return None
        try:
            return self.maps[table][old]
        except KeyError:
            raise ImportRefused(
                f"The archive names {table} {old}, which it does not hold."
            ) from None


def _insert(name: str, rows: list[dict], ids: _Ids) -> None:
    table = db.metadata.tables[name]
    old = [row.pop("id") for row in rows]
    if rows:
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        new = db.session.execute(statement, rows).scalars().all()
    else:
        new = []
    ids.maps.setdefault(name, {}).update(zip(old, new, strict=True))


def _shared(archive: _Archive, ids: _Ids, same_agencies: bool) -> int:
    """Agencies and people: the instance's own where it has them, inserted where not. A person
    is the same person by email; an agency's name alone does not make it the same
    organisation (two councils' "Housing"), so a clash is refused unless the operator says
    they are the same (same_agencies): joined wrongly, one organisation's people would become
    members of the other's hubs and cases."""
    meta = db.metadata.tables
    count = 0
    for name, key_columns in ownership.SHARED.items():
        table = meta[name]
        fresh, clashes = [], []
        for row in archive.rows(name):
            row = {k: _decode(table.c[k], v) for k, v in row.items()}
            match = db.session.execute(
                select(table.c.id).where(*(table.c[k] == row[k] for k in key_columns))
            ).scalar()
            if match is not None and name == AGENCY and not same_agencies:
                clashes.append(row["name"])
                continue
            if match is not None:
                ids.maps.setdefault(name, {})[row["id"]] = match
                continue
            for column in table.columns:
                target = ownership.references(column)
                if target in ids.maps or target in ownership.SHARED:
                    row[column.name] = ids.new(target, row.get(column.name))
                elif target is not None:
                    row[column.name] = None  # the instance's own (ownership.STAYS)
            fresh.append(row)
            count += 1
        if clashes:
            raise ImportRefused(
                "This instance has agencies with these names already: "
                + ", ".join(sorted(clashes))
                + ". If they are the same organisations, import again with --same-agencies."
            )
        _insert(name, fresh, ids)
    return count


def _owned(archive: _Archive, ids: _Ids, written_files: list[str]) -> int:
    plan = ownership.plan()
    meta = db.metadata.tables
    store = evidence_store()
    later: list[tuple[str, str, int, object]] = []  # table, column, old row id, old value
    count = 0
    for name in plan.owned:
        if name == AuditEntry.__tablename__:
            continue
        table = meta[name]
        self_refs = {c.name for c in plan.self_refs[name]}
        by_kind = {c: spec for (t, c), spec in ownership.BY_KIND.items() if t == name}
        rows = []
        for row in archive.rows(name):
            row = {k: _decode(table.c[k], v) for k, v in row.items()}
            for column in table.columns:
                target = ownership.references(column)
                if column.name in self_refs:
                    later.append((name, column.name, row["id"], row[column.name]))
                    row[column.name] = None
                elif target is not None and target in ownership.STAYS:
                    row[column.name] = None
                elif target is not None:
                    row[column.name] = ids.new(target, row[column.name])
            for column_name, (kind_column, _) in by_kind.items():
                if name in plan.by_kind_only:
                    kind = ownership.kind_table(name, column_name, row[kind_column])
                    row[column_name] = ids.new(kind, row[column_name])
                elif row[column_name] is not None:
                    later.append((name, column_name, row["id"], row[column_name]))
                    row[column_name] = None
            for table_name, column_name in FILE_COLUMNS:
                # A file deleted at the end of its retention stays missing here too.
                if table_name == name and row[column_name] in archive.manifest["files"]:
                    data = archive.zip.read(f"files/{row[column_name]}")
                    row[column_name] = store.put(data)
                    written_files.append(row[column_name])
            for (table_name, column_name), target in ownership.ID_LISTS.items():
                if table_name == name and row[column_name]:
                    known = ids.maps.get(target, {})
                    row[column_name] = [known[i] for i in row[column_name] if i in known]
            rows.append(row)
        count += len(rows)
        _insert(name, rows, ids)
    _fill_in(later, ids)
    return count


def _fill_in(later, ids: _Ids) -> None:
    """References to a row inserted after the one naming it: a correction's earlier version,
    a record named by kind and id."""
    meta = db.metadata.tables
    kinds = {}
    for name, column_name, old_row, old_value in later:
        table = meta[name]
        if (name, column_name) in ownership.BY_KIND:
            kind_column = ownership.BY_KIND[(name, column_name)][0]
            if (name, old_row) not in kinds:
                kinds[(name, old_row)] = db.session.execute(
                    select(table.c[kind_column]).where(table.c.id == ids.new(name, old_row))
                ).scalar()
            target = ownership.kind_table(name, column_name, kinds[(name, old_row)])
            # A kind this release does not follow (or a record outside the hub) stays unnamed.
            value = ids.maps.get(target, {}).get(old_value)
        else:
            value = ids.new(name, old_value)
        if value is not None:
            db.session.execute(
                update(table)
                .where(table.c.id == bindparam("row"))
                .values({column_name: bindparam("value")}),
                [{"row": ids.new(name, old_row), "value": value}],
            )


def _target_tables() -> dict[str, str]:
    """An audit entry's target_type (a model's name in lower case) -> its table."""
    found = {}
    for mapper in db.Model.registry.mappers:
        found[mapper.class_.__name__.lower()] = mapper.local_table.name
        found[mapper.local_table.name] = mapper.local_table.name
    return found


def _audit(entries: list[dict], ids: _Ids) -> list[AuditEntry]:
    targets = _target_tables()
    copies = []
    for entry in entries:
        target = targets.get(entry["target_type"] or "")
        target_id = entry["target_id"]
        if target is not None and target_id and target_id.isdigit():
            # Renumbered with its row; a record that did not come (another hub's, the
            # instance's own) keeps its source id marked as such, never a local record's id.
            mapped = ids.maps.get(target, {}).get(int(target_id))
            target_id = str(mapped) if mapped is not None else f"src:{target_id}"
        copies.append(
            {
                "at": entry["at"],
                "action": entry["action"],
                "outcome": entry["outcome"],
                "user_id": ids.new("user_account", entry["user_id"]),
                "agency_id": ids.new("agency", entry["agency_id"]),
                "hub_id": ids.new("hub", entry["hub_id"]),
                "target_type": entry["target_type"],
                "target_id": target_id,
                "ip_address": entry["ip_address"],
                "request_id": entry["request_id"],
                "legal_basis": entry["legal_basis"],
                "details": {
                    **(entry["details"] or {}),
                    "imported_from": f"{entry['id']}:{entry['entry_hash']}",
                },
            }
        )
    return audit.append_copies(copies)


def import_hub(path: Path, actor=None, *, same_agencies: bool = False) -> dict:
    """Import the archive at `path` in the caller's transaction; the caller commits, or rolls
    back on ImportRefused. Returns what was imported."""
    archive = _Archive(Path(path))
    _check(archive)
    slug = archive.manifest["hub"]
    hub_row = next(archive.rows(ownership.HUB))
    taken = db.session.execute(
        select(Hub.id).where((Hub.slug == slug) | (Hub.name == hub_row["name"]))
    ).first()
    if taken:
        raise ImportRefused(f"This instance has a hub called {slug} (or by its name) already.")
    entries = _check_audit(archive)
    ids = _Ids()
    written: list[str] = []
    try:
        shared = _shared(archive, ids, same_agencies)
        rows = _owned(archive, ids, written)
        copies = _audit(entries, ids)
        hub = db.session.get(Hub, ids.new(ownership.HUB, hub_row["id"]))
        head = archive.manifest["audit"]
        audit.record(
            "hub_imported",
            user=actor,
            hub=hub,
            details={
                "source": head["source_head_hash"],
                "from": str(head["source_head_id"]),
                "count": len(copies),
                "rows": rows,
                "version": VERSION,
            },
        )
        signals.hub_imported.send(hub)
        db.session.flush()
    except IntegrityError as clash:
        _remove(written)
        raise ImportRefused(
            f"The archive clashes with this instance's data: {clash.orig}"
        ) from None
    except BaseException:
        _remove(written)
        raise
    return {
        "hub": slug,
        "hub_id": hub.id,
        "rows": rows,
        "new_agencies_and_people": shared,
        "audit_entries": len(copies),
        "tables": {name: len(mapping) for name, mapping in ids.maps.items()},
    }


def _remove(keys: list[str]) -> None:
    store = evidence_store()
    for key in keys:
        store.delete(key)
