"""The section 115 rule, in SQL for lists and in Python for one record, agrees with itself."""

from datetime import date, timedelta

import time_machine
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from hub import permissions as perm
from hub.extensions import db
from hub.models import Agency, CaseNote, Hub, User
from tests.support.factories import make_case, make_isa, make_note

ALL = ["identity", "incident", "housing", "victim_contact"]


def setup(world):
    hub = db.session.get(Hub, world.hub_id)
    council, police, housing = (
        db.session.get(Agency, world.agency_ids[k]) for k in ("council", "police", "housing")
    )
    user = {k: db.session.get(User, world.user_id[k]) for k in world.user_id}
    return hub, council, police, housing, user


def visible_notes(u, hub):
    return set(db.session.execute(perm.visible_records(u, CaseNote, hub)).scalars())


def case_notes(u, case):
    """The case pages' built-once form of the same rule (perm.case_records)."""
    query, params = perm.case_records(CaseNote), perm.case_records_params(u, case)
    return set(db.session.execute(query, params).scalars())


def test_member_with_isa_sees_notes_non_member_does_not(app, ctx, world):
    hub, council, police, housing, user = setup(world)
    make_isa(hub, [council, police, housing], ALL)
    case = make_case(hub, "CPL-1", council, housing)
    note = make_note(case, council, user["referrer"])
    assert visible_notes(user["case_worker"], hub) == {note}  # housing: member
    assert visible_notes(user["coordinator"], hub) == set()  # police: not a member
    assert perm.can_see_record(user["case_worker"], note, case)
    assert not perm.can_see_record(user["coordinator"], note, case)
    # Everyone in the hub still sees the board card.
    board = db.session.execute(perm.board_cases(user["coordinator"], hub)).scalars().all()
    assert board == [case]


def test_category_outside_the_agreement_is_hidden(app, ctx, world):
    hub, council, police, housing, user = setup(world)
    make_isa(hub, [council, housing], ["incident"])
    case = make_case(hub, "CPL-2", council, housing)
    make_note(case, council, user["referrer"], category="incident")
    health = make_note(case, council, user["referrer"], category="health")
    seen = visible_notes(user["case_worker"], hub)
    assert health not in seen and len(seen) == 1


def test_restriction_narrows_to_named_agencies(app, ctx, world):
    hub, council, police, housing, user = setup(world)
    make_isa(hub, [council, police, housing], ALL)
    case = make_case(hub, "CPL-3", council, police, housing)
    secret = make_note(case, council, user["referrer"], restricted_to=[police])
    assert secret in visible_notes(user["coordinator"], hub)  # police named
    assert secret not in visible_notes(user["case_worker"], hub)  # housing not named
    assert secret in visible_notes(user["spoc"], hub)  # the originating agency


def test_expiry_takes_effect_the_next_day_without_any_job(app, ctx, world):
    hub, council, police, housing, user = setup(world)
    make_isa(hub, [council, housing], ALL, expires_on=date(2026, 12, 31))
    case = make_case(hub, "CPL-4", council, housing)
    make_note(case, council, user["referrer"])
    with time_machine.travel("2026-12-31 23:30:00+00:00", tick=False):  # still 31st in London
        perm.g.pop("_s115_cache", None)
        assert len(visible_notes(user["case_worker"], hub)) == 1
    with time_machine.travel("2027-01-01 00:30:00+00:00", tick=False):
        perm.g.pop("_s115_cache", None)
        assert visible_notes(user["case_worker"], hub) == set()


def test_role_must_allow_the_action(app, ctx, world):
    hub, council, police, housing, user = setup(world)
    make_isa(hub, [council, police], ALL)
    case = make_case(hub, "CPL-5", council, police)
    make_note(case, council, user["referrer"])
    assert visible_notes(user["analyst"], hub) == set()  # police analyst: no personal data
    assert visible_notes(user["referrer"], hub) == set()  # referrer role: not case data
    assert case_notes(user["analyst"], case) == case_notes(user["referrer"], case) == set()
    assert len(case_notes(user["coordinator"], case)) == 1
    export = perm.cases_with_access(user["coordinator"], hub, perm.Action.EXPORT)
    assert db.session.execute(export).scalars().all() == [case]
    export = perm.cases_with_access(user["spoc"], hub, perm.Action.EXPORT)
    assert db.session.execute(export).scalars().all() == []


def test_sql_and_one_by_one_agree(app, ctx, world):
    hub, council, police, housing, user = setup(world)
    make_isa(hub, [council, police], ["incident", "identity"])
    make_isa(
        hub,
        [housing],
        ["housing"],
        expires_on=date.today() - timedelta(days=1),
        reference="ISA-old",
    )
    cases = [
        make_case(hub, f"CPL-9{i}", *members)
        for i, members in enumerate([(council,), (council, police), (police, housing), (housing,)])
    ]
    notes = [
        make_note(c, a, user["referrer"], category=cat, restricted_to=r)
        for c in cases
        for a in (council, police, housing)
        for cat in ("incident", "housing", "health")
        for r in ((), (police,))
    ]
    # Everyone, outside the hub and signed out included: the case pages' built-once form of
    # the rule (perm.case_records) and the board's (perm.board_cases_query) agree with the
    # statements built per request, case by case.
    for u in [*user.values(), AnonymousUserMixin()]:
        in_sql = visible_notes(u, hub) if u.is_authenticated else set()
        for case in cases:
            assert case_notes(u, case) == {n for n in in_sql if n.case_id == case.id}
        board = perm.board_cases_query()
        params = perm.board_params(u, hub)
        assert set(db.session.execute(board, params).scalars()) == set(
            db.session.execute(perm.board_cases(u, hub)).scalars()
        )
    for u in user.values():
        if u.agency.id not in {council.id, police.id, housing.id}:
            continue
        in_sql = visible_notes(u, hub)
        one_by_one = {
            n
            for n in notes
            if perm.can_see_record(u, n, next(c for c in cases if c.id == n.case_id))
        }
        assert in_sql == one_by_one, u.email
        all_notes = set(db.session.execute(select(CaseNote)).scalars())
        assert in_sql <= all_notes


def test_reads_are_audited_and_disclosures_registered(app, ctx, world):
    from hub.models import AuditEntry, Disclosure

    hub, council, police, housing, user = setup(world)
    isa = make_isa(hub, [council, housing], ALL, reference="ISA-REG")
    case = make_case(hub, "CPL-6", council, housing)
    theirs = make_note(case, council, user["referrer"], category="housing")
    ours = make_note(case, housing, user["case_worker"], category="incident")
    for _ in range(2):
        perm.record_read(user["case_worker"], case, [theirs, ours], what="case notes")
    entry = (
        db.session.execute(select(AuditEntry).where(AuditEntry.action == "personal_data_read"))
        .scalars()
        .first()
    )
    assert entry.details["categories"] == ["housing", "incident"]
    assert "ISA-REG" in entry.legal_basis
    [row] = db.session.execute(select(Disclosure)).scalars().all()  # only the council's note
    assert (row.from_agency_id, row.to_agency_id, row.category, row.isa_id, row.times) == (
        council.id,
        housing.id,
        "housing",
        isa.id,
        2,
    )


def test_a_case_under_many_agreements_with_long_references_still_opens(app, client, world):
    """Issue 21: six agreements with 40-character references once overflowed the audit
    entry's legal basis on PostgreSQL, and the case page, its activity and search failed."""
    with app.app_context():
        hub, council, police, housing, user = setup(world)
        for n, category in enumerate(["identity", "incident", "housing", "victim_contact"] * 2):
            make_isa(hub, [council, housing], [category], reference=f"ISA-{n}-" + "L" * 34)
        case = make_case(hub, "CPL-LONG", council, housing)
        make_note(case, council, user["referrer"], category="incident", body="Shouting")
        make_note(case, council, user["referrer"], category="housing", body="Rent arrears")
        db.session.commit()
        case_id = case.id
    client.sign_in(world.email["case_worker"])
    for tab in ("", "/activity"):
        assert client.get(f"/cases/{case_id}{tab}").status_code == 200
    assert client.get(f"/hubs/{world.hub_slug}/search?q=Shouting").status_code == 200
