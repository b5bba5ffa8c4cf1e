"""Repeat lists name people only for those the s115 rule lets see them; the monthly report is
filed by the scheduler's job on the first working day of the month, once, under a controlled
clock."""

from datetime import UTC, date, datetime

import time_machine
from sqlalchemy import func, select

from hub.analytics import repeats, reports
from hub.extensions import db
from hub.models import AuditEntry, Hub, MonthlyReport, User
from referrals import intake, triage
from tests.support.factories import make_isa


def _victim_referral(user, hub, when):
    payload = {
        "hub": hub.slug,
        "about": "person",
        "category": "personal",
        "summary": "Targeted at home",
        "description": "Youths bang on the windows at night.",
        "first_incident_on": "2026-11-01",
        "incident_count": 3,
        "location": {"address": "14 Mill Street, Whitehaven", "postcode": "CA28 7QY"},
        "people": [
            {"role": "victim", "name": "Brian Tyson", "date_of_birth": "1951-06-14"},
            {"role": "subject", "name": "Kyle Bewley", "date_of_birth": "2010-02-01"},
        ],
        "consent": {"given": True},
        "risk": {"targeted": True},
    }
    with time_machine.travel(when, tick=False):
        referral, _ = intake.submit_referral(payload, user=user)
    return referral


def test_names_in_repeat_lists_only_for_those_s115_allows(app, client, world):
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        referrer = db.session.get(User, world.user_id["referrer"])
        coordinator = db.session.get(User, world.user_id["coordinator"])
        agencies = [referrer.agency, coordinator.agency]
        make_isa(hub, agencies, ["identity", "incident"])
        first = _victim_referral(referrer, hub, datetime(2026, 11, 20, 10, tzinfo=UTC))
        triage.decide(
            first,
            {"decision": "new_case", "title": "Mill Street", "reason": "Repeat"},
            user=coordinator,
        )
        _victim_referral(referrer, hub, datetime(2026, 12, 1, 10, tzinfo=UTC))
        case_ref = first.case.reference
        db.session.commit()
    with time_machine.travel(datetime(2026, 12, 5, 12, tzinfo=UTC), tick=False):
        # The council's hub manager: the council referred, so is on the case, with an ISA.
        client.sign_in(world.email["hub_manager"])
        page = client.get(f"/hubs/{world.hub_slug}/analytics/repeats?days=30")
        text = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "Brian Tyson" in text and "Kyle Bewley" in text and "14 Mill Street" in text
        assert case_ref in text
        with app.app_context():
            reads = db.session.execute(
                select(func.count()).where(AuditEntry.action == "personal_data_read")
            ).scalar_one()
            assert reads >= 1
        client.post("/sign-out", data={"csrf_token": client.csrf_token("/account/")})
        # The analyst (police, whose role reads no case data): counts and references only.
        client.sign_in(world.email["analyst"])
        text = client.get(f"/hubs/{world.hub_slug}/analytics/repeats?days=30").get_data(
            as_text=True
        )
        assert "Brian Tyson" not in text and "Kyle Bewley" not in text
        assert "Mill Street" not in text and "Not shown to you" in text
        assert case_ref in text and ">2<" in text
        csv = client.get(f"/hubs/{world.hub_slug}/analytics/repeats.csv?days=30")
        assert "Brian" not in csv.get_data(as_text=True)


def test_repeat_counts_without_a_user_name_no_one(ctx, world):
    hub = db.session.get(Hub, world.hub_id)
    referrer = db.session.get(User, world.user_id["referrer"])
    for day in (1, 2, 3):
        _victim_referral(referrer, hub, datetime(2026, 12, day, 10, tzinfo=UTC))
    found = repeats.top(None, hub, "victim", 30, date(2026, 12, 5))
    assert [(r.counts[30], r.names) for r in found] == [(3, [])]


def test_the_monthly_report_is_filed_on_the_first_working_day_once(app, world, outbox):
    from hub.analytics.jobs import monthly_reports

    def run_at(moment):
        with time_machine.travel(moment, tick=False), app.app_context():
            monthly_reports()
            db.session.commit()
            return (
                db.session.execute(
                    select(MonthlyReport.month).where(MonthlyReport.hub_id == world.hub_id)
                )
                .scalars()
                .all()
            )

    # 1 January 2027 is a bank holiday; Saturday and Sunday follow: nothing until Monday 4th.
    assert run_at(datetime(2027, 1, 1, 6, 30, tzinfo=UTC)) == []
    assert run_at(datetime(2027, 1, 3, 6, 30, tzinfo=UTC)) == []
    assert run_at(datetime(2027, 1, 4, 6, 30, tzinfo=UTC)) == [date(2026, 12, 1)]
    told = [m["To"] for m in outbox]
    assert world.email["coordinator"] in told
    assert "December 2026" in outbox[0]["Subject"]
    # A restart the same day, and the days after, file nothing more.
    assert run_at(datetime(2027, 1, 4, 9, 0, tzinfo=UTC)) == [date(2026, 12, 1)]
    assert run_at(datetime(2027, 1, 20, 6, 30, tzinfo=UTC)) == [date(2026, 12, 1)]
    assert len(outbox) == len(told)
    with app.app_context():
        report = db.session.execute(select(MonthlyReport)).scalars().first()
        assert report.pdf.startswith(b"%PDF")
        assert reports.view(report)["month_label"] == "December 2026"
