"""`hub export SLUG FILE` / `hub import FILE`: one hub's data moves to another instance whole,
with new ids, its audit entries chained there, all or nothing."""

import hashlib
import json
import zipfile
from collections import Counter
from datetime import date

import pytest
from flask_migrate import upgrade
from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    func,
    inspect,
    literal,
    select,
    text,
)

from hub import audit
from hub.core.storage import evidence_store
from hub.core.timeutil import utcnow
from hub.demo.build import build_demo
from hub.extensions import db
from hub.lifecycle import export, importing, ownership, retention
from hub.models import (
    Agency,
    AuditEntry,
    Case,
    CaseAction,
    Disclosure,
    Evidence,
    Hub,
    InformationSharingAgreement,
    Lesson,
    Referral,
    User,
)
from tests.conftest import TEST_DATABASE_URL, make_app
from tests.lifecycle.support import fresh_database
from tests.support.factories import make_agency, make_case, make_hub, make_note, make_user


def test_every_table_is_the_hubs_shared_or_the_instances_own():
    assert ownership.unplaced() == []
    owned = set(ownership.plan().owned)
    assert not owned & set(ownership.SHARED) and not owned & set(ownership.STAYS)
    assert {"case", "case_note", "referral", "victim", "lesson", "audit_entry"} <= owned
    assert "record_restriction" in owned  # through the record it restricts
    # An import renumbers rows by their one id column.
    assert all([c.name for c in db.metadata.tables[t].primary_key] == ["id"] for t in owned)


def test_a_new_table_is_placed_by_its_foreign_keys_or_reported():
    metadata = MetaData()
    for table in db.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table(
        "case_widget",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("case_id", ForeignKey("case.id")),
    )
    Table("loose_thing", metadata, Column("id", Integer, primary_key=True), Column("x", String))
    assert "case_widget" in ownership.plan(metadata).owned
    assert ownership.unplaced(metadata) == ["loose_thing"]


def test_every_reference_without_a_foreign_key_is_followed_by_kind():
    """An integer column naming another row by id without a foreign key (or a JSON list of
    ids) would keep the source's ids after an import: it must be declared in
    ownership.BY_KIND (or ownership.ID_LISTS)."""
    undeclared = []
    for name in ownership.plan().owned:
        for column in db.metadata.tables[name].columns:
            looks_like_a_reference = column.name.endswith("_id") and isinstance(
                column.type, Integer
            )
            declared = (name, column.name) in ownership.BY_KIND
            if looks_like_a_reference and not column.foreign_keys and not declared:
                undeclared.append(f"{name}.{column.name}")
            id_list = column.name.endswith("_ids") and isinstance(column.type, JSON)
            if id_list and (name, column.name) not in ownership.ID_LISTS:
                undeclared.append(f"{name}.{column.name}")
    assert undeclared == []


# -- a round trip between two databases -----------------------------------------------------


def _rows(hub_id: int) -> dict[str, Counter]:
    """Each of the hub's tables as a multiset of its rows, without ids and references (which
    an import renumbers): what must arrive unchanged."""
    plan = ownership.plan()
    found = ownership.collect(hub_id, plan)
    result = {}
    for name in plan.owned:
        table = db.metadata.tables[name]
        renumbered = [*ownership.BY_KIND, *ownership.ID_LISTS]
        skip = {"id", "storage_key"} | {c for t, c in renumbered if t == name}
        columns = [c for c in table.columns if not c.foreign_keys and c.name not in skip]
        if name == "audit_entry":
            columns = [table.c.action, table.c.outcome, table.c.at, table.c.target_type]
        columns = columns or [literal(1)]  # a table of references only: count its rows
        statement = select(*columns).where(table.c.id.in_(found[name]))
        if name == "audit_entry":  # the import's own entry is the target's, not the hub's
            statement = statement.where(table.c.action != "hub_imported")
        rows = db.session.execute(statement)
        result[name] = Counter(
            json.dumps([export.encode(v) for v in row], sort_keys=True, default=str) for row in rows
        )
    return result


def _by_kind_references_stay_in(hub_id: int) -> int:
    """Every record named by kind and id in the hub's rows is one of the hub's rows (so the
    import renumbered it). Returns how many were checked."""
    plan = ownership.plan()
    found = ownership.collect(hub_id, plan)
    checked = 0
    for (name, column_name), (kind_column, _) in ownership.BY_KIND.items():
        table = db.metadata.tables[name]
        rows = db.session.execute(
            select(table.c[kind_column], table.c[column_name]).where(
                table.c.id.in_(found[name]), table.c[column_name].is_not(None)
            )
        )
        for kind, record_id in rows:
            target = ownership.kind_table(name, column_name, kind)
            if target is None:
                continue
            assert record_id in set(db.session.scalars(found[target])), (name, kind, record_id)
            checked += 1
    return checked


def _source(url):
    """The demo hub, with what its build leaves out: a note restricted to one agency (a
    reference by kind), an action, a disclosure, and a closed case's retention reviews and
    legal hold."""
    app = make_app(url, {})
    with app.app_context():
        upgrade()
        build_demo()
        case = db.session.scalars(select(Case).order_by(Case.id)).first()
        hub = db.session.get(Hub, case.hub_id)
        police, council = (
            db.session.scalar(select(Agency).where(Agency.name == name))
            for name in ("Cumbria Constabulary", "Copeland Borough Council")
        )
        author = db.session.scalars(select(User).where(User.agency_id == police.id)).first()
        make_note(case, police, author, body="Seen at the flats", restricted_to=[council])
        db.session.add(
            CaseAction(
                case_id=case.id,
                agency_id=police.id,
                owner_id=author.id,
                description="Visit the flats",
                due_on=date(2026, 12, 20),
            )
        )
        isa = db.session.scalars(select(InformationSharingAgreement)).first()
        db.session.add(
            Disclosure(
                hub_id=hub.id,
                case_id=case.id,
                from_agency_id=police.id,
                to_agency_id=council.id,
                category="incident",
                isa_id=isa.id,
            )
        )
        referral = db.session.scalars(select(Referral).where(Referral.hub_id == hub.id)).first()
        referral.suggested_case_ids = [case.id]
        # An evidence file already deleted at the end of its retention.
        gone = db.session.scalars(select(Evidence).order_by(Evidence.id)).first()
        evidence_store().delete(gone.storage_key)
        retention.set_periods(hub, {"health": 36})
        retention.place_hold(case, author, utcnow())
        case.stage, case.closed_at = "closed", utcnow()
        retention.schedule(utcnow())
        db.session.commit()
    return app


def _target(url):
    """Another instance with a hub of its own (so ids differ) and one agency and person the
    demo hub names too (so they are matched, not duplicated)."""
    app = make_app(url, {})
    with app.app_context():
        upgrade()
        other = make_hub("eden", "Eden Focus Hub")
        police = make_agency("Cumbria Constabulary", "police", other)
        council = make_agency("Eden District Council", "council", other)
        make_user("someone@eden.example", council, ("hub_manager", other))
        for n in range(5):
            case = make_case(other, f"EDEN-{n}", police)
            audit.record("case_opened", hub=other, target=case)
        db.session.commit()
    return app


@pytest.mark.own_database
def test_a_hub_moves_to_another_instance_whole_and_its_chain_verifies(tmp_path):
    archive = tmp_path / "copeland.zip"
    with fresh_database("export") as source_url, fresh_database("import") as target_url:
        source, target = _source(source_url), _target(target_url)
        result = source.test_cli_runner().invoke(args=["hub", "export", "copeland", str(archive)])
        assert result.exit_code == 0, result.output
        assert archive.stat().st_mode & 0o077 == 0  # the hub's data: its owner's alone
        with source.app_context():
            hub_id = db.session.scalar(select(Hub.id).where(Hub.slug == "copeland"))
            before = _rows(hub_id)
            exported = db.session.scalars(
                select(AuditEntry).where(AuditEntry.hub_id == hub_id).order_by(AuditEntry.id)
            ).all()
            originals = [f"{e.id}:{e.entry_hash}" for e in exported]
            assert exported[-1].action == "hub_exported"  # the export is audited, and in it
            db.engine.dispose()
        with target.app_context():
            entries_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
            eden_before = _rows(db.session.scalar(select(Hub.id).where(Hub.slug == "eden")))

        # Cumbria Constabulary is here already: a name alone does not make it the same
        # organisation, so the import is refused, nothing written, until the operator says so.
        refused = target.test_cli_runner().invoke(args=["hub", "import", str(archive)])
        assert refused.exit_code == 1 and "Cumbria Constabulary" in refused.output
        assert "--same-agencies" in refused.output
        with target.app_context():
            assert db.session.scalar(select(Hub.id).where(Hub.slug == "copeland")) is None
        result = target.test_cli_runner().invoke(
            args=["hub", "import", str(archive), "--same-agencies"]
        )
        assert result.exit_code == 0, result.output

        with target.app_context():
            new_id = db.session.scalar(select(Hub.id).where(Hub.slug == "copeland"))
            assert new_id != hub_id
            # An imported entry about a case names one of the imported hub's cases, or its
            # source id marked as such: never another hub's case that has that number here.
            named = db.session.scalars(
                select(AuditEntry.target_id).where(
                    AuditEntry.hub_id == new_id, AuditEntry.target_type == "case"
                )
            ).all()
            cases_here = db.session.scalars(select(Case.id).where(Case.hub_id == new_id))
            ours = {str(i) for i in cases_here}
            assert named and all(t in ours or t.startswith("src:") for t in named)
            after = _rows(new_id)
            for name in before:
                assert after[name] == before[name], name
            # Demo-like: rows in nearly every table of the hub's, and in each area's main ones.
            filled = {name for name, rows in before.items() if rows}
            assert len(filled) >= 2 / 3 * len(before), sorted(set(before) - filled)
            assert {
                "case_note",
                "record_restriction",
                "case_action",
                "disclosure",
                "victim",
                "conference",
                "lesson",
                "case_evidence",
                "hub_retention",
                "legal_hold",
                "retention_review",
            } <= filled
            assert _by_kind_references_stay_in(new_id) > 0
            suggested = db.session.scalars(
                select(Referral.suggested_case_ids).where(
                    Referral.hub_id == new_id, Referral.suggested_case_ids.is_not(None)
                )
            ).all()
            new_cases = set(db.session.scalars(select(Case.id).where(Case.hub_id == new_id)))
            assert [ids for ids in suggested if ids] and all(
                set(ids) <= new_cases for ids in suggested
            )
            if db.engine.dialect.name == "sqlite":  # the lessons' index is outside the rows
                published = db.session.scalars(
                    select(Lesson.id).where(Lesson.hub_id == new_id, Lesson.status == "published")
                ).all()
                indexed = db.session.execute(text("SELECT rowid FROM lesson_fts")).scalars()
                assert published and set(published) <= set(indexed)
            # Nothing of the other hub changed, and shared agencies were matched by name.
            assert _rows(db.session.scalar(select(Hub.id).where(Hub.slug == "eden"))) == eden_before
            assert (
                db.session.scalar(
                    select(func.count())
                    .select_from(db.metadata.tables["agency"])
                    .where(db.metadata.tables["agency"].c.name == "Cumbria Constabulary")
                )
                == 1
            )
            report = audit.verify_chain()
            assert report.broken_at is None, report
            copied = db.session.scalars(
                select(AuditEntry).where(AuditEntry.id > entries_before).order_by(AuditEntry.id)
            ).all()
            assert [e.details["imported_from"] for e in copied[:-1]] == originals
            assert {e.hub_id for e in copied} == {new_id}
            closing = copied[-1]
            assert closing.action == "hub_imported"
            assert closing.details["source"] == exported[-1].entry_hash
            assert closing.details["count"] == len(originals)
            # References followed the new ids: each case's notes are on that case here.
            cases = db.session.scalars(select(Case).where(Case.hub_id == new_id)).all()
            assert cases and all(c.hub_id == new_id for c in cases)
            db.engine.dispose()

        again = target.test_cli_runner().invoke(
            args=["hub", "import", str(archive), "--same-agencies"]
        )
        assert again.exit_code == 1 and "has a hub called copeland" in again.output


def _rewrite(archive, out, change):
    """Copy an archive, changing one table's lines with `change`, checksums made to agree (so
    only a deeper check can catch it)."""
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(out, "w") as target:
        manifest = json.loads(source.read("manifest.json"))
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "tables/audit_entry.jsonl":
                data = change(data)
                manifest["tables"]["audit_entry"]["sha256"] = hashlib.sha256(data).hexdigest()
            if item.filename.startswith("manifest"):
                continue
            target.writestr(item, data)
        text = json.dumps(manifest).encode()
        target.writestr("manifest.json", text)
        target.writestr("manifest.sha256", hashlib.sha256(text).hexdigest())


@pytest.mark.own_database
def test_an_altered_or_corrupt_archive_or_a_failure_imports_nothing(tmp_path, monkeypatch):
    archive = tmp_path / "copeland.zip"
    with fresh_database("export") as source_url, fresh_database("import") as target_url:
        source, target = _source(source_url), _target(target_url)
        with source.app_context():
            export.export_hub("copeland", archive)
            db.session.commit()
            db.engine.dispose()
        altered = tmp_path / "altered.zip"
        _rewrite(archive, altered, lambda data: data.replace(b'"ok"', b'"denied"', 1))
        corrupt = tmp_path / "corrupt.zip"
        with zipfile.ZipFile(archive) as source_zip, zipfile.ZipFile(corrupt, "w") as out:
            for item in source_zip.infolist():
                data = source_zip.read(item)
                if item.filename == "tables/case.jsonl":
                    data = data.replace(b"active", b"closed", 1)
                out.writestr(item, data)

        runner = target.test_cli_runner()
        with target.app_context():
            counts = _table_counts()
        for bad, said in ((altered, "does not match its hash"), (corrupt, "checksum")):
            result = runner.invoke(args=["hub", "import", str(bad)])
            assert result.exit_code == 1 and said in result.output, result.output

        # A failure after most rows are written (here: chaining the audit entries) leaves none.
        def fail(_copies):
            raise importing.ImportRefused("the audit log could not be written")

        monkeypatch.setattr(audit, "append_copies", fail)
        result = runner.invoke(args=["hub", "import", str(archive), "--same-agencies"])
        assert result.exit_code == 1 and "could not be written" in result.output
        with target.app_context():
            assert _table_counts() == counts
            db.engine.dispose()


def _table_counts():
    return {
        name: db.session.scalar(select(func.count()).select_from(table))
        for name, table in db.metadata.tables.items()
    }


def test_collecting_a_hubs_rows_leaves_no_table_behind(ctx, world):
    found = ownership.collect(world.hub_id, ownership.plan())
    assert list(db.session.scalars(found["hub"])) == [world.hub_id]
    assert "lifecycle_rows" not in inspect(db.session.connection()).get_table_names()


@pytest.mark.own_database
@pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"),
    reason="PostgreSQL's snapshot; on SQLite the export holds the write lock, so no one writes",
)
def test_an_export_while_others_work_never_forks_the_audit_chain(tmp_path, monkeypatch):
    """Found in review: on PostgreSQL the export reads one REPEATABLE READ snapshot, and its
    own audit entry, chained from inside that snapshot, missed an entry another request
    committed meanwhile: two entries on one predecessor, a break `hub audit verify` reports
    as tampering. The export's entry is written before the snapshot is taken."""
    archive = tmp_path / "copeland.zip"
    with fresh_database("export") as source_url:
        source = _source(source_url)
        real = audit.record

        def someone_else_writes_first(action, **kwargs):
            if action == "hub_exported":
                with source.app_context():  # another request, committed while we export
                    real("case_viewed_elsewhere", commit=True)
            return real(action, **kwargs)

        monkeypatch.setattr(audit, "record", someone_else_writes_first)
        result = source.test_cli_runner().invoke(args=["hub", "export", "copeland", str(archive)])
        assert result.exit_code == 0, result.output
        with source.app_context():
            report = audit.verify_chain()
            assert report.broken_at is None, report.reason
            db.engine.dispose()
