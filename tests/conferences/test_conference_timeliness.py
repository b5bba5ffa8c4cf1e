"""Keeping time: whether each referral's conference was held within its deadline, computed
from the held conferences in one statement; the breach list and its reasons."""

from datetime import date, timedelta

import time_machine
from sqlalchemy import select

from hub.conferences import slot as conference_slot
from hub.conferences import timeliness, urgent
from hub.extensions import db
from hub.models import AgendaItem, AuditEntry, DeadlineBreach
from tests.conferences.test_conference_urgent import (
    CRITICAL,
    HIGH,
    MEDIUM,
    STANDARD,
    add_slot,
    at,
    conferences,
    refer,
    urgent_of,
)
from tests.conftest import count_queries
from tests.support.factories import make_case
from tests.support.referral_data import hub, user

NOW = at("2026-12-30T12:00")


def _item(conference, referral=None, case=None, discussed=True, removed=False):
    item = db.session.execute(
        select(AgendaItem).where(
            AgendaItem.conference_id == conference.id,
            AgendaItem.referral_id == referral.id if referral else AgendaItem.case_id == case.id,
        )
    ).scalar_one_or_none()
    if item is None:
        item = AgendaItem(
            conference_id=conference.id,
            referral_id=referral.id if referral else None,
            case_id=case.id if case else None,
            reason="new_referral",
            position=1,
        )
        db.session.add(item)
    item.discussed_at = conference.starts_at + timedelta(minutes=20) if discussed else None
    item.removed = removed
    db.session.flush()
    return item


def _held(conference, started_late_by=timedelta(0)):
    conference.status = "held"
    conference.started_at = conference.starts_at + started_late_by
    conference.ended_at = conference.starts_at + timedelta(hours=2)


def christmas_week() -> dict:
    """The urgent tests' Christmas week, its conferences held as they would be."""
    copeland = hub()
    add_slot(copeland.id)
    conference_slot.ensure_weekly_conferences(date(2026, 12, 18))
    w1, w2 = conferences(copeland.id, "weekly")[:2]
    r = {
        "sat": refer("2026-12-19T11:00", CRITICAL),
        "high_mon": refer("2026-12-21T09:00", HIGH),
        "medium": refer("2026-12-21T09:30", MEDIUM),
        "standard": refer("2026-12-21T09:45", STANDARD),
        "crit_mon": refer("2026-12-21T12:00", CRITICAL),
        "crit_tue": refer("2026-12-22T08:00", CRITICAL),
        "high_tue": refer("2026-12-22T12:00", HIGH),
        "declined": refer("2026-12-22T12:30", HIGH),
        "eve": refer("2026-12-24T15:00", CRITICAL),
        "christmas": refer("2026-12-25T14:00", CRITICAL),
        "high_sun": refer("2026-12-27T20:00", HIGH),
    }
    coordinator = user("coord@police.example")
    (a,) = urgent_of(r["sat"])
    (b,) = urgent_of(r["crit_mon"])
    (d,) = urgent_of(r["eve"])
    # Monday's urgent conference held; the item was not marked discussed: it still counts.
    _held(a)
    _item(a, r["sat"], discussed=False)
    # Tuesday's declined: the critical referral waits for Wednesday, a working day late.
    urgent.decline(
        b, {"reason": "Chair unavailable", "edit_version": "1"}, coordinator, at("2026-12-21T13:00")
    )
    # Triage: one referral opens a case, one is declined (it needs no conference).
    case = make_case(copeland, "CPL-NEW", *copeland.agencies[:1])
    r["medium"].status, r["medium"].decision, r["medium"].case_id = "triaged", "new_case", case.id
    r["declined"].status, r["declined"].decision = "triaged", "declined"
    # Wednesday's weekly conference, opened two minutes late; the Tuesday critical was taken
    # off its agenda.
    _held(w1, started_late_by=timedelta(minutes=2))
    for key in ("crit_mon", "high_mon", "high_tue"):
        _item(w1, r[key])
    _item(w1, case=case)
    _item(w1, r["crit_tue"], removed=True)
    # Tuesday 29th's urgent conference held; Christmas Day's referral was only discussed at
    # the weekly conference the next day, which is the one that counts.
    urgent.confirm(
        d,
        {"day": "2026-12-29", "time": "10:00", "edit_version": "1"},
        coordinator,
        at("2026-12-24T16:00"),
    )
    _held(d)
    _item(d, r["eve"])
    _item(d, r["christmas"], discussed=False)
    _held(w2)
    _item(w2, r["christmas"])
    return r


def outcomes(found) -> dict[str, str]:
    return {row.reference: row.outcome.value for row in found}


def test_met_missed_overdue_and_pending(ctx, world):
    r = christmas_week()
    found = timeliness.rows(hub(), NOW, date(2026, 12, 1), date(2026, 12, 30))
    ref = {k: v.reference for k, v in r.items()}
    assert outcomes(found) == {
        ref["sat"]: "met",
        ref["high_mon"]: "met",  # opened 10:02 for a 10:00 deadline: set for it, so kept
        ref["medium"]: "met",  # through its case
        ref["standard"]: "pending",
        ref["crit_mon"]: "missed",
        ref["crit_tue"]: "overdue",  # removed from the agenda: never discussed
        ref["high_tue"]: "met",
        ref["eve"]: "met",
        ref["christmas"]: "missed",
        ref["high_sun"]: "overdue",
    }
    by_ref = {row.reference: row for row in found}
    crit_mon = by_ref[ref["crit_mon"]]
    assert crit_mon.held_at == at("2026-12-23T10:00") and crit_mon.late == "1 working day"
    assert crit_mon.reason == "Urgent conference declined: Chair unavailable"
    assert by_ref[ref["christmas"]].held_at == at("2026-12-30T10:00")
    assert by_ref[ref["high_sun"]].late == "2 hours"
    assert by_ref[ref["crit_tue"]].late == "3 working days"  # 24th, 29th and 30th
    counts = {c.band: c for c in timeliness.summary(found)}
    assert (counts["critical"].met, counts["critical"].missed, counts["critical"].overdue) == (
        2,
        2,
        1,
    )
    assert counts["critical"].on_time == 40
    assert (counts["high"].met, counts["high"].overdue, counts["high"].on_time) == (2, 1, 67)
    assert (counts["standard"].pending, counts["standard"].on_time) == (1, None)
    assert counts["all"].met + counts["all"].missed + counts["all"].overdue == 9
    # Before anything was held, each is pending until its deadline passes.
    early = timeliness.rows(hub(), at("2026-12-19T12:00"), date(2026, 12, 1), date(2026, 12, 30))
    assert set(outcomes(early).values()) <= {"pending", "met", "missed"}
    # The range is by submission date.
    only = timeliness.rows(hub(), NOW, date(2026, 12, 24), date(2026, 12, 25))
    assert sorted(outcomes(only)) == sorted([ref["eve"], ref["christmas"]])


def test_a_case_conference_before_the_referral_does_not_count(ctx, world):
    copeland = hub()
    add_slot(copeland.id)
    conference_slot.ensure_weekly_conferences(date(2026, 12, 1))
    first = conferences(copeland.id, "weekly")[0]
    case = make_case(copeland, "CPL-OLD", *copeland.agencies[:1])
    _held(first)
    _item(first, case=case)
    later = refer("2026-12-21T09:30", MEDIUM)
    later.status, later.decision, later.case_id = "triaged", "added_to_case", case.id
    (row,) = timeliness.rows(hub(), NOW, referral_id=later.id)
    assert row.outcome.value == "overdue"


def _page_setup(app) -> dict:
    with app.app_context():
        r = christmas_week()
        db.session.commit()
        return {k: (v.id, v.reference) for k, v in r.items()}


@time_machine.travel(NOW, tick=False)
def test_the_page_lists_breaches_without_personal_data(app, client, world, _transaction):
    refs = _page_setup(app)
    client.sign_in(world.email["hub_manager"])
    path = f"/hubs/{world.hub_slug}/conferences/timeliness?from=2026-12-01&to=2026-12-30"
    page = client.get(path)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for key in ("crit_mon", "crit_tue", "christmas", "high_sun"):
        assert f'data-testid="breach-{refs[key][1]}"' in text
    assert f'data-testid="breach-{refs["eve"][1]}"' not in text
    assert "Urgent conference declined: Chair unavailable" in text and "40%" in text
    assert "Road" not in text and "Older man" not in text and "Oak" not in text
    bad = client.get(f"/hubs/{world.hub_slug}/conferences/timeliness?from=2026-12-31&to=x")
    assert bad.status_code == 400 and "Enter a real date" in bad.get_data(as_text=True)

    # Constant queries as referrals grow.
    with count_queries(_transaction) as small:
        assert client.get(path).status_code == 200
    with app.app_context():
        for n in range(12):
            refer(f"2026-12-2{n % 3}T1{n % 8}:00", CRITICAL if n % 2 else HIGH)
        db.session.commit()
    with count_queries(_transaction) as large:
        page = client.get(path).get_data(as_text=True)
    assert page.count('data-testid="breach-') > 4
    assert len(large) == len(small)


@time_machine.travel(NOW, tick=False)
def test_the_breach_reason_form_refuses_empty_stale_and_non_breach(app, client, world):
    refs = _page_setup(app)
    client.sign_in(world.email["coordinator"])
    referral_id, reference = refs["crit_tue"]
    path = f"/hubs/{world.hub_slug}/conferences/timeliness/{referral_id}"
    form = client.get(path).get_data(as_text=True)
    assert "3 working days" in form
    empty = client.submit(path, {"reason": "   ", "version": ""})
    assert empty.status_code == 400
    assert "Enter why the conference was not held in time" in empty.get_data(as_text=True)
    first = client.submit(path, {"reason": "Taken off the agenda in error", "version": ""})
    assert first.status_code == 302
    # A second coordinator's form, loaded before that save, is refused.
    stale = client.submit(path, {"reason": "Something else", "version": ""})
    assert stale.status_code == 400 and "Someone else recorded a reason" in stale.get_data(
        as_text=True
    )
    with app.app_context():
        breach = db.session.execute(
            select(DeadlineBreach).where(DeadlineBreach.referral_id == referral_id)
        ).scalar_one()
        assert breach.reason == "Taken off the agenda in error"
        version = timeliness.version_of(timeliness.breach_row(hub(), referral_id, NOW))
    assert client.submit(path, {"reason": "Clerical error", "version": version}).status_code == 302
    # The declined conference's reason can be changed too; a met referral has no breach.
    met_id, _ = refs["eve"]
    met = client.submit(
        f"/hubs/{world.hub_slug}/conferences/timeliness/{met_id}", {"reason": "x", "version": ""}
    )
    assert met.status_code == 400 and "was not late" in met.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.execute(
                select(DeadlineBreach).where(DeadlineBreach.referral_id == met_id)
            ).first()
            is None
        )
        entries = db.session.execute(
            select(AuditEntry.details).where(AuditEntry.action == "deadline_breach_reason_recorded")
        ).scalars()
        # Both saves are on record; the words are the breach's own, the latest kept.
        assert [(e["changed"], e["replaced"]) for e in entries] == [
            (["reason"], False),
            (["reason"], True),
        ]
        assert "Clerical error" in db.session.execute(select(DeadlineBreach.reason)).scalars()
    page = client.get(f"/hubs/{world.hub_slug}/conferences/timeliness?from=2026-12-01")
    assert "Clerical error" in page.get_data(as_text=True)


@time_machine.travel(NOW, tick=False)
def test_only_analysts_see_the_figures_partners_and_other_hubs_nothing(app, client, world):
    refs = _page_setup(app)
    referral_id, _ = refs["crit_tue"]
    for persona in ("case_worker", "analyst", "referrer", "other_hub"):
        browser = app.test_client()
        browser.sign_in(world.email[persona])
        # Analysts see the figures (issue 20), not the reasons' words, and record none.
        page = 200 if persona == "analyst" else 404
        assert browser.get(f"/hubs/{world.hub_slug}/conferences/timeliness").status_code == page
        path = f"/hubs/{world.hub_slug}/conferences/timeliness/{referral_id}"
        assert browser.submit(path, {"reason": "x", "version": ""}).status_code == 404
    # A referral of another hub is not reachable through this hub's page.
    client.sign_in(world.email["other_hub"])
    other = f"/hubs/{world.other_hub_slug}/conferences/timeliness/{referral_id}"
    assert client.get(other).status_code == 404
    with app.app_context():
        assert db.session.execute(select(DeadlineBreach.id)).all() != []  # the declined one only
        assert (
            db.session.execute(
                select(DeadlineBreach).where(DeadlineBreach.referral_id == referral_id)
            ).first()
            is None
        )
