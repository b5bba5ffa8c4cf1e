"""Information-sharing agreements: hub managers keep them, every change is a new version,
validated, audited, and never silently overwritten; reminders go out once."""

from datetime import date

import pytest
import time_machine
from sqlalchemy import select

from hub.core.locking import StaleForm
from hub.extensions import db
from hub.models import (
    AuditEntry,
    Hub,
    InformationSharingAgreement,
    IsaReminder,
    IsaVersion,
)
from hub.sharing import agreements as sharing


def isa_form(world, **overrides):
    council, police = world.agency_ids["council"], world.agency_ids["police"]
    form = {
        "reference": "CPL-ISA-1",
        "title": "Copeland hub sharing agreement",
        "purpose": "Reducing antisocial behaviour and protecting victims",
        "legal_basis": "s115 Crime and Disorder Act 1998; DPA 2018 s8 (public task)",
        "status": "in_force",
        "starts_on-day": "1",
        "starts_on-month": "1",
        "starts_on-year": "2026",
        "review_on-day": "1",
        "review_on-month": "12",
        "review_on-year": "2026",
        "expires_on-day": "31",
        "expires_on-month": "12",
        "expires_on-year": "2027",
        "categories": ["identity", "incident"],
        f"signed-{council}": "yes",
        f"signed_by-{council}": "A. Officer",
        f"signed_on-{council}-day": "2",
        f"signed_on-{council}-month": "1",
        f"signed_on-{council}-year": "2026",
        f"signed-{police}": "yes",
        f"signed_by-{police}": "B. Inspector",
        f"signed_on-{police}-day": "3",
        f"signed_on-{police}-month": "1",
        f"signed_on-{police}-year": "2026",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def isas(app):
    with app.app_context():
        return db.session.execute(select(InformationSharingAgreement)).scalars().all()


def actions(app, action):
    with app.app_context():
        return (
            db.session.execute(select(AuditEntry).where(AuditEntry.action == action))
            .scalars()
            .all()
        )


def test_hub_manager_creates_an_agreement_with_version_and_audit(app, client, world):
    client.sign_in(world.email["hub_manager"])
    assert client.get("/hubs/copeland/isas").status_code == 200
    assert client.get("/hubs/copeland/isas/new").status_code == 200
    response = client.submit("/hubs/copeland/isas/new", isa_form(world))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        [isa] = db.session.execute(select(InformationSharingAgreement)).scalars().all()
        assert (isa.version, isa.status, isa.category_values) == (
            1,
            "in_force",
            {"identity", "incident"},
        )
        assert {s.signed_by for s in isa.signatories} == {"A. Officer", "B. Inspector"}
        [version] = db.session.execute(select(IsaVersion)).scalars().all()
        assert version.version == 1 and version.snapshot["reference"] == "CPL-ISA-1"
        isa_id = isa.id
    [entry] = actions(app, "isa_created")
    assert entry.details["after"]["categories"] == ["identity", "incident"]
    page = client.get(f"/hubs/copeland/isas/{isa_id}").get_data(as_text=True)
    assert "CPL-ISA-1" in page and "B. Inspector" in page and "In force" in page
    listing = client.get("/hubs/copeland/isas").get_data(as_text=True)
    assert "CPL-ISA-1" in listing and "31 December 2027" in listing


def test_bad_input_gets_field_errors_and_writes_nothing(app, client, world):
    client.sign_in(world.email["hub_manager"])
    outsider = world.agency_ids["outsider"]
    cases = [
        ({"expires_on-year": "2025"}, "Expiry date must be after the start date"),
        ({"categories": None}, "Choose at least one data category"),
        ({"categories": ["identity", "gossip"]}, "Choose data categories from the list"),
        ({"starts_on-month": "13"}, "Start date must be a real date"),
        ({"starts_on-day": "x"}, "Start date must be a real date"),
        ({"status": "forever"}, "Choose a status"),
        ({"reference": ""}, "Enter the agreement&#39;s reference"),
        # A tampered form: an agency of another hub as signatory.
        (
            {
                f"signed-{outsider}": "yes",
                f"signed_by-{outsider}": "X. Person",
                f"signed_on-{outsider}-day": "1",
                f"signed_on-{outsider}-month": "1",
                f"signed_on-{outsider}-year": "2026",
            },
            "Each signatory must be a partner agency in this hub",
        ),
        ({f"signed_by-{world.agency_ids['council']}": ""}, "Enter the signing officer"),
    ]
    for overrides, message in cases:
        response = client.submit("/hubs/copeland/isas/new", isa_form(world, **overrides))
        assert response.status_code == 400, overrides
        assert message in response.get_data(as_text=True), (overrides, message)
        assert "There is a problem" in response.get_data(as_text=True)
    assert isas(app) == []
    assert actions(app, "isa_created") == []


def test_reference_is_unique_per_hub(app, client, world):
    client.sign_in(world.email["hub_manager"])
    assert client.submit("/hubs/copeland/isas/new", isa_form(world)).status_code == 302
    again = client.submit("/hubs/copeland/isas/new", isa_form(world, title="Another"))
    assert again.status_code == 400
    assert "already has this reference" in again.get_data(as_text=True)
    assert len(isas(app)) == 1


def test_edit_bumps_version_keeps_history_and_audits_before_after(app, client, world):
    client.sign_in(world.email["hub_manager"])
    client.submit("/hubs/copeland/isas/new", isa_form(world))
    [isa] = isas(app)
    edit = f"/hubs/copeland/isas/{isa.id}/edit"
    page = client.get(edit).get_data(as_text=True)
    assert 'name="version" value="1"' in page and 'value="CPL-ISA-1"' in page
    form = isa_form(world, version="1", categories=["identity", "incident", "housing"])
    form["status"] = "suspended"
    assert client.submit(edit, form).status_code == 302
    [isa] = isas(app)
    assert isa.version == 2 and isa.status == "suspended"
    [entry] = actions(app, "isa_updated")
    assert entry.details["before"]["status"] == "in_force"
    assert entry.details["after"]["status"] == "suspended"
    assert "housing" in entry.details["after"]["categories"]
    assert "status" in entry.details["changed"] and "purpose" not in entry.details["after"]
    history = client.get(f"/hubs/copeland/isas/{isa.id}/history").get_data(as_text=True)
    assert "Version 1" in history and "Version 2" in history and "Suspended" in history


def test_a_stale_edit_is_refused_and_keeps_what_was_typed(app, client, world):
    client.sign_in(world.email["hub_manager"])
    client.submit("/hubs/copeland/isas/new", isa_form(world))
    [isa] = isas(app)
    edit = f"/hubs/copeland/isas/{isa.id}/edit"
    assert client.submit(edit, isa_form(world, version="1", title="First save")).status_code == 302
    stale = client.submit(edit, isa_form(world, version="1", title="My late change"))
    assert stale.status_code == 400
    body = stale.get_data(as_text=True)
    assert "Someone else changed this agreement" in body and "My late change" in body
    assert 'name="version" value="2"' in body  # the next save applies to the current version
    [isa] = isas(app)
    assert (isa.title, isa.version) == ("First save", 2)


def test_an_edit_without_changes_bumps_the_version_only_when_saved(app, ctx, world):
    from hub.models import User

    hub = db.session.get(Hub, world.hub_id)
    actor = db.session.get(User, world.user_id["hub_manager"])
    data = {
        "reference": "R-1",
        "title": "Agreement",
        "purpose": "Purpose",
        "legal_basis": "s115",
        "status": "draft",
        "starts_on": "2026-01-01",
        "categories": ["identity"],
        "signatories": [
            {
                "agency_id": world.agency_ids["council"],
                "signed_by": "Y. Officer",
                "signed_on": "2026-01-01",
            }
        ],
    }
    isa = sharing.create_isa(hub, data, actor=actor)
    sharing.update_isa(isa, data, actor=actor, version=1)
    assert isa.version == 2
    assert [v.version for v in sharing.isa_versions(isa)] == [1, 2]


def test_only_the_hubs_managers_reach_agreements(app, client, world):
    with app.app_context():
        from tests.support.factories import make_isa

        hub = db.session.get(Hub, world.hub_id)
        isa = make_isa(hub, [], ["identity"], reference="X-1")
        db.session.commit()
        isa_id = isa.id
    for who in ("coordinator", "case_worker", "analyst", "other_hub"):
        client.sign_in(world.email[who])
        assert client.get("/hubs/copeland/isas").status_code == 404
        assert client.get(f"/hubs/copeland/isas/{isa_id}").status_code == 404
        client.post("/sign-out", data={"csrf_token": client.csrf_token("/account/")})
    # Another hub's manager cannot reach it through their own hub either.
    client.sign_in(world.email["other_hub"])
    assert client.get(f"/hubs/allerdale/isas/{isa_id}").status_code == 404
    denied = actions(app, "access_denied")
    assert len(denied) >= 9


def test_reminders_go_to_hub_managers_once_with_no_personal_data(app, ctx, world, outbox):
    from tests.support.factories import make_isa

    hub = db.session.get(Hub, world.hub_id)
    isa = make_isa(hub, [], ["identity"], reference="REM-1", expires_on=date(2026, 12, 20))
    isa.review_on = date(2027, 6, 1)  # too far ahead to remind yet
    draft = make_isa(
        hub, [], ["identity"], reference="DRAFT", status="draft", expires_on=date(2026, 12, 1)
    )
    db.session.commit()
    with time_machine.travel("2026-11-25 09:00:00+00:00", tick=False):
        sent = sharing.isa_reminders(date(2026, 11, 25), days=30)
        assert sent == [(isa.id, "expiry", date(2026, 12, 20))]
        assert [m["To"] for m in outbox] == [world.email["hub_manager"]]
        body = outbox[0].get_content()
        assert f"/hubs/copeland/isas/{isa.id}" in body and "20 December 2026" in body
        assert "REM-1" not in outbox[0]["Subject"]
        assert sharing.isa_reminders(date(2026, 11, 26), days=30) == []  # never twice
        assert len(outbox) == 1
    assert draft.id not in {r.isa_id for r in db.session.execute(select(IsaReminder)).scalars()}
    # A new expiry date is a new reminder.
    isa.expires_on = date(2026, 12, 22)
    db.session.commit()
    assert sharing.isa_reminders(date(2026, 11, 26), days=30) == [
        (isa.id, "expiry", date(2026, 12, 22))
    ]


def test_reminder_command(app, world, outbox):
    from tests.support.factories import make_isa

    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        make_isa(hub, [], ["identity"], reference="CLI-1", expires_on=date(2026, 12, 20))
        db.session.commit()
    runner = app.test_cli_runner()
    with time_machine.travel("2026-12-01 09:00:00+00:00", tick=False):
        first = runner.invoke(args=["hub", "isa-reminders"])
        second = runner.invoke(args=["hub", "isa-reminders"])
    assert first.exit_code == 0 and "sent: 1" in first.output, first.output
    assert "sent: 0" in second.output
    assert len(outbox) == 1


def test_a_save_racing_another_is_refused_by_the_version_column(app, ctx, world, _transaction):
    from sqlalchemy import text

    from hub.models import User

    hub = db.session.get(Hub, world.hub_id)
    actor = db.session.get(User, world.user_id["hub_manager"])
    data = {
        "reference": "RACE-1",
        "title": "Agreement",
        "purpose": "Purpose",
        "legal_basis": "s115",
        "status": "draft",
        "starts_on": "2026-01-01",
        "categories": ["identity"],
    }
    isa = sharing.create_isa(hub, data, actor=actor)
    db.session.commit()
    # Another worker saves after we read version 1 but before we write.
    _transaction.execute(
        text("UPDATE isa SET version = 2, title = 'Theirs' WHERE id = :i"), {"i": isa.id}
    )
    with pytest.raises(StaleForm):
        sharing.update_isa(isa, {**data, "title": "Ours"}, actor=actor, version=1)
