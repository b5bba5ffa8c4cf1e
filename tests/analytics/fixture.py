"""A small hub with figures counted by hand, for the dashboard, the powers return and the
monthly report. Times are UTC; the comments give them in London time."""

from datetime import UTC, date, datetime
from types import SimpleNamespace

from hub.analytics import police_uk
from hub.extensions import db
from hub.models import (
    Agency,
    CaseAction,
    CaseReview,
    ContextIncident,
    Evaluation,
    Hub,
    Intervention,
    Referral,
    User,
)
from tests.support.factories import make_case
from tests.support.meeting_data import make_conference, put_on_agenda

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def _referral(hub, agency, user, ref, at, band, category, due=None, **extra):
    referral = Referral(
        hub_id=hub.id,
        agency_id=agency.id,
        user_id=user.id,
        reference=ref,
        status=extra.pop("status", "submitted"),
        category="incident",
        origin_agency_id=agency.id,
        band=band,
        asb_category=category,
        submitted_at=at,
        conference_due_by=due,
        **extra,
    )
    db.session.add(referral)
    db.session.flush()
    return referral


def build(world) -> SimpleNamespace:
    hub = db.session.get(Hub, world.hub_id)
    other = db.session.get(Hub, world.other_hub_id)
    council = db.session.get(Agency, world.agency_ids["council"])
    police = db.session.get(Agency, world.agency_ids["police"])
    user = db.session.get(User, world.user_id["referrer"])
    u = datetime
    # R1 Monday 15 June 09:30 (BST): critical, personal; held by its deadline.
    r1 = _referral(
        hub,
        council,
        user,
        "R1",
        u(2026, 6, 15, 8, 30, tzinfo=UTC),
        "critical",
        "personal",
        u(2026, 6, 16, 16, 0, tzinfo=UTC),
    )
    # R2 Sunday 21 June 00:30 (BST; Saturday in UTC): high, nuisance; held late, via its case.
    case_a = make_case(hub, "CPL-A", council, police)
    _referral(
        hub,
        council,
        user,
        "R2",
        u(2026, 6, 20, 23, 30, tzinfo=UTC),
        "high",
        "nuisance",
        u(2026, 6, 23, 16, 0, tzinfo=UTC),
        status="triaged",
        decision="new_case",
        case_id=case_a.id,
    )
    # R3 Monday 30 November 23:30 (GMT): medium, environmental; not yet due.
    _referral(
        hub,
        council,
        user,
        "R3",
        u(2026, 11, 30, 23, 30, tzinfo=UTC),
        "medium",
        "environmental",
        u(2026, 12, 20, 16, 0, tzinfo=UTC),
    )
    # R4 Saturday 31 October 23:30 (GMT): standard, personal; due, never held: overdue.
    _referral(
        hub,
        council,
        user,
        "R4",
        u(2026, 10, 31, 23, 30, tzinfo=UTC),
        "standard",
        "personal",
        u(2026, 11, 5, 16, 0, tzinfo=UTC),
    )
    # R5 Wednesday 1 July 13:00 (BST): high, nuisance, declined (no conference owed).
    _referral(
        hub,
        council,
        user,
        "R5",
        u(2026, 7, 1, 12, 0, tzinfo=UTC),
        "high",
        "nuisance",
        u(2026, 7, 3, 16, 0, tzinfo=UTC),
        status="triaged",
        decision="declined",
    )
    # Not counted: a draft, and another hub's referral.
    _referral(hub, council, user, "D1", None, "high", "personal", status="draft")
    _referral(other, police, user, "X1", u(2026, 8, 1, 9, 0, tzinfo=UTC), "high", "personal")

    met = make_conference(hub, u(2026, 6, 16, 9, 0, tzinfo=UTC))
    put_on_agenda(met, 1, referral=r1).discussed_at = u(2026, 6, 16, 9, 10, tzinfo=UTC)
    late = make_conference(hub, u(2026, 6, 25, 9, 0, tzinfo=UTC))
    put_on_agenda(late, 1, case=case_a)

    # Actions on CPL-A: council 2 open (1 overdue), police 1 open overdue; a done one.
    coordinator = db.session.get(User, world.user_id["coordinator"])
    for agency, due, status in (
        (council, date(2026, 12, 1), "open"),
        (council, date(2026, 12, 31), "open"),
        (police, date(2026, 11, 1), "open"),
        (police, date(2026, 11, 1), "done"),
    ):
        db.session.add(
            CaseAction(
                case_id=case_a.id,
                agency_id=agency.id,
                owner_id=coordinator.id,
                description="Visit",
                due_on=due,
                status=status,
            )
        )
    # Interventions and evaluations: CPL-A (reduced) used a warning letter and a CPN on an
    # under-18, breached; CPL-B (resolved) a warning letter on an adult.
    case_b = make_case(hub, "CPL-B", police)
    for case_, kind, agency, age, breaches, served in (
        (case_a, "warning_letter", council, "under_18", "", date(2026, 9, 1)),
        (
            case_a,
            "community_protection_notice",
            council,
            "under_18",
            "Breached 3 Nov",
            date(2026, 10, 2),
        ),
        (case_b, "warning_letter", police, "adult", "", date(2026, 11, 3)),
    ):
        db.session.add(
            Intervention(
                case_id=case_.id,
                type=kind,
                origin_agency_id=agency.id,
                category="incident",
                issuing_officer="Officer",
                subject="Someone",
                subject_age_group=age,
                breaches=breaches,
                served_on=served,
                recorded_by_id=coordinator.id,
            )
        )
    db.session.add_all(
        [
            Evaluation(
                case_id=case_a.id,
                outcome="reduced",
                summary="s",
                recorded_by_id=coordinator.id,
                recorded_at=u(2026, 11, 10, 10, 0, tzinfo=UTC),
                signed_at=u(2026, 11, 10, 10, 0, tzinfo=UTC),
            ),
            Evaluation(
                case_id=case_b.id,
                outcome="ceased",
                summary="s",
                recorded_by_id=coordinator.id,
                recorded_at=u(2026, 11, 20, 10, 0, tzinfo=UTC),
                signed_at=u(2026, 11, 20, 10, 0, tzinfo=UTC),
            ),
            CaseReview(
                hub_id=hub.id,
                reference="CR-1",
                case_id=case_a.id,
                source="application",
                received_on=date(2026, 11, 2),
                status="received",
            ),
            CaseReview(
                hub_id=hub.id,
                reference="CR-2",
                case_id=case_b.id,
                source="conference",
                received_on=date(2026, 7, 2),
                status="review_due",
            ),
        ]
    )
    for month, is_asb in (
        (date(2026, 11, 1), True),
        (date(2026, 11, 1), True),
        (date(2026, 10, 1), False),
    ):
        db.session.add(
            ContextIncident(
                hub_id=hub.id,
                source_key=f"k{len(db.session.new)}",
                month=month,
                month_index=month.year * 12 + month.month - 1,
                crime_type="x",
                is_asb=is_asb,
                lat=51.5,
                lon=-0.1,
                cell="1:1",
            )
        )
    db.session.flush()
    police_uk.recount(hub.id, {date(2026, 11, 1), date(2026, 10, 1)})
    return SimpleNamespace(hub=hub, case_a=case_a, case_b=case_b)
