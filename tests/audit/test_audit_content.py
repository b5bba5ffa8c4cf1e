"""Issue 19: the audit log records what was done, never what was said.

The guard is twofold: `audit.record` refuses details that are not metadata (tested here), and
every test in the suite ends by checking that no audit entry it wrote holds a value of a
personal column (tests/support/audit_content.py, run from the `_transaction` fixture).
The tests below show both catch what they should, then walk the attacker's route from the
issue and the re-chaining of an existing log.
"""

import csv
import io
import json

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from hub import audit
from hub.casework import actions
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import (
    ActionRevision,
    Agency,
    AuditAnchor,
    AuditEntry,
    Case,
    DataCategory,
    Hub,
    User,
)
from referrals import intake
from tests.conftest import _database, make_app
from tests.support import audit_content
from tests.support.factories import make_case, make_isa, make_user
from tests.support.referral_data import VALID, payload, user

SECRET_ACTION = "Visit the victim Margaret Hartley at 12 Mill Lane about the threats"


# -- the guard at write time -----------------------------------------------------------------


@pytest.mark.parametrize(
    "details",
    [
        {"after": {"description": "Visit the victim"}},  # a key that holds words
        {"fields": ["Margaret Hartley"]},  # a sentence where codes belong
        {"email": "margaret@example.org"},  # a person's particulars
        {"found": ["someone@example.org"]},  # an email address among codes
        {"reason": "She told us he has a knife"},  # a typed reason
        {"what": "Notes about Mrs Hartley"},  # capitals and a name in a page's name
        {"before": {"title": "Noise at 12 Mill Lane"}},  # nested too
        {"n": object()},  # anything that is not plain data
    ],
)
def test_content_is_refused_at_write_time(ctx, details):
    with pytest.raises(audit.AuditContentError):
        audit.record("test_event", details=details)


def test_metadata_passes(ctx):
    entry = audit.record(
        "test_event",
        details={
            "case_id": 3,
            "changed": ["description", "outcome"],
            "before": {"status": "open", "due_on": "2026-12-07"},
            "after": {"status": "done", "conference_due_by": "2026-12-07T10:00:00+00:00"},
            "records": {"case_note": [1, 2], "risk_assessment": [4]},
            "repeat": {"victim": {"30": 1, "90": 2}},
            "reason": "idle",
            "what": "conference minutes (printed)",
            "path": audit.as_code("/cases/1/members/ x\x00"),
        },
    )
    assert entry.details["path"] == "/cases/1/members/%20x%00"


def test_values_from_urls_become_bounded_codes(ctx):
    entry = audit.record("test_event", target_type="hub", target_id="a b\x00" + "x" * 300)
    assert entry.target_id.startswith("a%20b%00") and len(entry.target_id) == 60


# -- the suite-wide check catches a leak -----------------------------------------------------


def _case(world, title="Noise and intimidation, Mill Street flats") -> Case:
    hub = db.session.get(Hub, world.hub_id)
    housing = db.session.get(Agency, world.agency_ids["housing"])
    make_isa(hub, [housing], list(DataCategory), reference="ISA-AUDIT")
    return make_case(hub, "CPL-2026-0001", housing, title=title)


def _leaked(connection, details: dict) -> list[str]:
    """What the suite-wide check says of an entry written past the guard, as the code before
    issue 19 wrote them; the entry is then rolled back."""
    before = audit_content.last_id(connection)
    savepoint = db.session.begin_nested()
    entry = AuditEntry(
        at=utcnow().replace(microsecond=0),
        action="test_event",
        outcome="ok",
        details=details,
        prev_hash=audit.GENESIS,
    )
    entry.entry_hash = audit.entry_hash(entry)
    db.session.add(entry)
    db.session.flush()
    found = audit_content.violations(connection, before)
    savepoint.rollback()
    return found


def test_the_suite_wide_check_finds_personal_values_in_any_entry(ctx, world, _transaction):
    _case(world, title="Threats at Mill Lane")
    intake.submit_referral(payload(), user=user(world.email["referrer"]))
    db.session.flush()
    assert _leaked(_transaction, {"after": {"title": "Threats at Mill Lane"}})
    assert _leaked(_transaction, {"name": "William Hartley"})
    assert _leaked(_transaction, {"on": "1958-03-02"})  # his date of birth
    assert _leaked(_transaction, {"address": "Flat 3, 12 Mill Street, Whitehaven, CA28"})
    assert _leaked(_transaction, {"text": VALID["description"][:30]})  # cut short
    assert _leaked(_transaction, {"case_id": 1, "band": "high", "on": "2026-12-07"}) == []


# -- the attacker's route from the issue -----------------------------------------------------


def test_an_action_on_a_case_never_reaches_the_audit_export(app, client, world):
    """A case worker adds an action naming the victim; the system administrator, whose agency
    is not a member of the case, exports the hub's audit log: the words are not in it."""
    with app.app_context():
        case = _case(world)
        worker = db.session.get(User, world.user_id["case_worker"])
        owner = worker
        action = actions.add_action(
            case,
            {
                "description": SECRET_ACTION,
                "agency_id": owner.agency_id,
                "owner_id": owner.id,
                "due_on": "2026-12-20",
            },
            actor=worker,
        )
        actions.update_action(
            case,
            action,
            {
                "description": SECRET_ACTION,
                "agency_id": owner.agency_id,
                "owner_id": owner.id,
                "due_on": "2026-12-20",
                "status": "done",
                "outcome": "Mrs Hartley was seen at home on Friday",
                "version": str(action.version),
            },
            actor=worker,
        )
        db.session.commit()
        action_id, case_id = action.id, case.id
    client.sign_in(world.email["sysadmin"])
    exported = client.get(f"/hubs/{world.hub_slug}/audit.csv")
    assert exported.status_code == 200
    body = exported.get_data(as_text=True)
    assert "Hartley" not in body and "Mill Lane" not in body
    rows = list(csv.DictReader(io.StringIO(body)))
    updated = next(r for r in rows if r["action"] == "action_updated")
    assert '"changed": ["status", "outcome"]' in updated["details"]
    assert '"version": 2' in updated["details"]
    with app.app_context():
        # The words are kept where the s115 rule governs them: the action's own history.
        history = db.session.execute(
            select(ActionRevision.version, ActionRevision.snapshot)
            .where(ActionRevision.action_id == action_id)
            .order_by(ActionRevision.version)
        ).all()
        assert [v for v, _ in history] == [1, 2]
        assert history[1][1]["outcome"] == "Mrs Hartley was seen at home on Friday"
        assert db.session.get(Case, case_id) is not None


def test_an_actions_history_is_shown_on_its_page(app, client, world):
    with app.app_context():
        case = _case(world)
        worker = db.session.get(User, world.user_id["case_worker"])
        values = {
            "description": "Fit a door camera",
            "agency_id": worker.agency_id,
            "owner_id": worker.id,
            "due_on": "2026-12-20",
        }
        action = actions.add_action(case, values, actor=worker)
        actions.update_action(
            case,
            action,
            values | {"status": "open", "outcome": "Ordered", "version": "1"},
            actor=worker,
        )
        actions.update_action(
            case,
            action,
            values | {"status": "done", "outcome": "Fitted on Tuesday", "version": "2"},
            actor=worker,
        )
        db.session.commit()
        url = f"/cases/{case.id}/actions/{action.id}"
    client.sign_in(world.email["case_worker"])
    page = client.get(url).get_data(as_text=True)
    assert "Version 3" in page and "Version 2" in page and "Version 1" in page
    assert "Ordered" in page and "Fitted on Tuesday" in page


def test_a_failed_sign_in_keeps_a_fingerprint_of_the_address_not_the_address(app, client):
    for _ in range(2):
        client.post(
            "/sign-in/password",
            data={
                "email": "Margaret.Hartley@example.org",
                "password": "wrong",
                "csrf_token": client.csrf_token(),
            },
        )
    with app.app_context():
        entries = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "sign_in", AuditEntry.outcome == "failed")
        ).scalars()
        digests = {e.details["email_digest"] for e in entries}
        assert len(digests) == 1  # the same address twice: entries can be matched
        with app.test_request_context():
            assert digests == {audit.digest("margaret.hartley@example.org")}
        assert "Hartley" not in str(digests)


def test_subject_access_search_and_export_hold_no_name_and_the_export_says_what_it_holds(
    app, client, world
):
    with app.app_context():
        council = db.session.get(Agency, world.agency_ids["council"])
        dpo = make_user("dpo@council.example", council, ("dpo", db.session.get(Hub, world.hub_id)))
        intake.submit_referral(payload(), user=user(world.email["referrer"]))
        db.session.commit()
        email = dpo.email
    client.sign_in(email)
    page = client.get(
        f"/hubs/{world.hub_slug}/subject-access", query_string={"name": "William Hartley"}
    ).get_data(as_text=True)
    assert "1 matching record" in page
    person_id = int(page.split('name="person" type="checkbox" value="')[1].split('"')[0])
    exported = client.submit(
        f"/hubs/{world.hub_slug}/subject-access/export", {"person": str(person_id)}, token_from="/"
    )
    header = json.loads(exported.get_data(as_text=True))["header"]
    assert header["legal_basis"] == "UK GDPR Article 15 (right of access)"
    assert header["contains"]["person_records"] == 1 and header["contains"]["referrals"] == 1
    assert header["contains"]["data_categories"] == ["identity", "incident"]
    assert header["contains"]["recorded_by_agencies"] == ["Copeland Borough Council"]
    assert "review and redact" in header["notice"]
    with app.app_context():
        entries = db.session.execute(
            select(AuditEntry).where(AuditEntry.action.like("subject_access%"))
        ).scalars()
        by_action = {e.action: e for e in entries}
        export = by_action["subject_access_export"]
        assert header["audit_entry"] == export.id
        assert export.legal_basis == header["legal_basis"]
        assert export.details["person_records"] == [person_id]
        for entry in by_action.values():
            assert "hartley" not in str(entry.details).lower()
            assert "1958" not in str(entry.details)


# -- an existing log: re-chained once, anchored ----------------------------------------------


def _legacy_entry(details: dict, prev_hash: str, action: str) -> AuditEntry:
    """An entry as the code before issue 19 wrote it: content and all, correctly chained."""
    entry = AuditEntry(
        at=utcnow().replace(microsecond=0),
        action=action,
        outcome="ok",
        details=details,
        prev_hash=prev_hash,
    )
    entry.entry_hash = audit.entry_hash(entry)
    return entry


def _head() -> AuditEntry:
    return db.session.execute(
        select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar_one()


@pytest.mark.own_database
def test_a_demo_database_with_old_entries_is_rechained_and_still_verifies():
    from hub.demo.build import build_demo

    url, options, cleanup = _database("rechain")
    try:
        app = make_app(url, options)
        with app.app_context(), app.test_request_context():
            upgrade()
            build_demo()
            db.session.commit()
            demo_head = _head()
            kept_id, kept_hash = demo_head.id, demo_head.entry_hash
            legacy = [
                (
                    "action_added",
                    {"case_id": 1, "after": {"description": SECRET_ACTION, "status": "open"}},
                ),
                ("sign_in", {"email": "margaret.hartley@example.org", "locked_now": False}),
                (
                    "subject_access_search",
                    {"name_key": "margaret hartley", "date_of_birth": "1952-04-03", "found": [1]},
                ),
            ]
            prev = kept_hash
            for action, details in legacy:
                entry = _legacy_entry(details, prev, action)
                db.session.add(entry)
                db.session.flush()
                prev = entry.entry_hash
            audit.record("test_event", details={"n": 1})  # later entries chain onto them
            db.session.commit()
            old_head = _head().entry_hash
            assert audit.verify_chain().broken_at is None
            db.session.remove()  # SQLite: let the migration have the file

            downgrade(revision="g1agenda")
            upgrade()

            db.session.expire_all()
            report = audit.verify_chain()
            assert report.broken_at is None
            everything = db.session.execute(select(AuditEntry.details)).scalars().all()
            assert not any("hartley" in str(d).lower() for d in everything)
            assert db.session.get(AuditEntry, kept_id).entry_hash == kept_hash  # untouched
            [anchor] = db.session.execute(select(AuditAnchor)).scalars().all()
            assert anchor.kind == "rechain" and anchor.superseded_hash == old_head
            assert anchor.redacted_entries == 3 and anchor.first_changed_id == kept_id + 1
            head = _head()
            assert head.action == "audit_log_rechained" and head.target_id == str(anchor.id)
            cleaned = db.session.get(AuditEntry, kept_id + 1).details
            assert cleaned == {
                "case_id": 1,
                "after": {"status": "open"},
                "redacted": ["after.description"],
            }
            # Running it again finds nothing to do: no second anchor.
            db.session.remove()
            downgrade(revision="g1agenda")
            upgrade()
            assert db.session.execute(select(AuditAnchor)).scalars().all() == []
            assert audit.verify_chain().broken_at is None
            db.engine.dispose()
    finally:
        cleanup()


@pytest.mark.own_database
def test_a_broken_chain_is_not_laundered_by_the_rechaining():
    url, options, cleanup = _database("rechain_broken")
    try:
        app = make_app(url, options)
        with app.app_context(), app.test_request_context():
            upgrade(revision="g1agenda")
            first = _legacy_entry({"n": 1}, audit.GENESIS, "test_event")
            db.session.add(first)
            db.session.flush()
            db.session.add(_legacy_entry({"n": 2}, "f" * 64, "test_event"))  # a break
            db.session.commit()
            db.session.remove()
            with pytest.raises(SystemExit):  # Flask-Migrate reports the error and exits
                upgrade()
            with db.engine.connect() as conn:
                version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            assert version == "g1agenda"  # nothing of the revision was applied
            db.engine.dispose()
    finally:
        cleanup()
