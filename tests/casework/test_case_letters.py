"""Letters from the hub's templates: filled from the case, kept on it as issued, printable on A4,
read only through the permission rule; what a person types is never a template."""

from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from hub.conferences import case_reviews
from hub.core.timeutil import LONDON
from hub.extensions import db
from hub.models import Agency, AuditEntry, Case, Hub, Intervention, Letter, User
from tests.conftest import HubClient
from tests.support.factories import make_case, make_isa

TODAY = datetime(2026, 11, 23, 9, 0, tzinfo=LONDON)
ALL = ["identity", "incident", "housing", "victim_contact"]


@pytest.fixture
def lt(app, world):
    """CPL-600: council (referrer, lead agency) and housing members; the council's SPoC."""
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        council, housing = (
            db.session.get(Agency, world.agency_ids[k]) for k in ("council", "housing")
        )
        make_isa(hub, [council, housing], ALL, reference="ISA-LT")
        case = make_case(hub, "CPL-600", council, housing, stage="active")
        case.lead_agency_id = council.id
        case.spoc_user_id = world.user_id["spoc"]
        db.session.commit()
        return case.id


def _as(app, world, who):
    app.test_client_class = HubClient
    client = app.test_client()
    client.sign_in(world.email[who])
    return client


def _write(client, case_id, **changes):
    form = {
        "letter_kind": "acknowledgement",
        "recipient_name": "William Hartley",
        "recipient_address": "Flat 3, 12 Mill Street\nWhitehaven CA28 7XY",
        "letter_category": "incident",
        **changes,
    }
    return client.submit(f"/cases/{case_id}/letters", form)


@time_machine.travel(TODAY, tick=False)
def test_an_acknowledgement_is_filled_from_the_case_and_prints_on_a4(app, world, lt):
    council = _as(app, world, "spoc")
    response = _write(council, lt)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = council.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    with app.app_context():
        spoc = db.session.get(User, world.user_id["spoc"])
        letter = db.session.execute(select(Letter)).scalar_one()
        assert letter.letter_date == date(2026, 11, 23)
    for expected in (
        "William Hartley",
        "Whitehaven CA28 7XY",
        "23 November 2026",
        "case CPL-600",
        "Copeland Focus Hub",
        "Copeland Borough Council leads the work on it.",
        f"Your single point of contact is {spoc.name}",
        "css/letter.css",
        "data-print",
    ):
        assert expected in text, expected
    # Printable: A4 in its stylesheet, no service header or footer on the page.
    css = council.get("/static/css/letter.css").get_data(as_text=True)
    assert "size: A4" in css and "@media print" in css
    assert "govuk-header" not in text and "govuk-footer" not in text
    # Kept on the case, listed on its tab; writing and reading it are audited.
    tab = council.get(f"/cases/{lt}/evidence").get_data(as_text=True)
    assert 'data-testid="letter-list"' in tab and "Acknowledgement of a report" in tab
    with app.app_context():
        actions = set(db.session.execute(select(AuditEntry.action)).scalars())
        assert {"letter_written", "personal_data_read"} <= actions


@time_machine.travel(TODAY, tick=False)
def test_a_typed_placeholder_stays_words(app, world, lt):
    council = _as(app, world, "spoc")
    response = _write(
        council,
        lt,
        letter_kind="warning_letter",
        recipient_name="Jordan Pike {hub_name}",
        details="Loud music {case_reference} {__class__} <script>alert(1)</script>",
    )
    assert response.status_code == 302
    with app.app_context():
        letter = db.session.execute(select(Letter)).scalar_one()
        assert "{case_reference} {__class__}" in letter.body
        assert letter.recipient_name == "Jordan Pike {hub_name}"
    text = council.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text


@time_machine.travel(TODAY, tick=False)
def test_a_cpw_letter_gives_notice_of_a_warning_on_the_case(app, world, lt):
    council = _as(app, world, "spoc")
    missing = _write(council, lt, letter_kind="community_protection_warning")
    assert missing.status_code == 400
    assert "Choose the community protection warning" in missing.get_data(as_text=True)
    with app.app_context():
        cpw_id = _warning(world, lt, "Jordan Pike")
    response = _write(
        council,
        lt,
        letter_kind="community_protection_warning",
        intervention_id=str(cpw_id),
        details="Amplified music from Flat 3 most nights since October.",
    )
    assert response.status_code == 302
    text = council.get(response.headers["Location"]).get_data(as_text=True)
    assert "section 43" in text and "Stop playing amplified music after 11pm" in text


def _warning(world, case_id, subject, **extra):
    cpw = Intervention(
        case_id=case_id,
        type="community_protection_warning",
        issuing_officer="S Officer",
        subject=subject,
        conditions="Stop playing amplified music after 11pm",
        status="served",
        category="incident",
        origin_agency_id=world.agency_ids["council"],
        recorded_by_id=world.user_id["spoc"],
        **extra,
    )
    db.session.add(cpw)
    db.session.commit()
    return cpw.id


@time_machine.travel(TODAY, tick=False)
def test_the_letter_form_names_the_warnings_it_may_and_audits_the_read(app, world, lt):
    """The CPW letter's choice of warning names each one's subject: personal data, shown
    only through the permission rule and audited like the interventions list."""
    with app.app_context():
        open_id = _warning(world, lt, "Jordan Pike")
        _warning(world, lt, "Casey Lowe", restricted=True)
    council, housing = _as(app, world, "spoc"), _as(app, world, "case_worker")
    assert "Casey Lowe" in council.get(f"/cases/{lt}/evidence").get_data(as_text=True)
    page = housing.get(f"/cases/{lt}/evidence").get_data(as_text=True)
    assert "Jordan Pike" in page and "Casey Lowe" not in page
    with app.app_context():
        entry = db.session.execute(
            select(AuditEntry)
            .where(
                AuditEntry.user_id == world.user_id["case_worker"],
                AuditEntry.details["what"].as_string() == "community protection warnings",
            )
            .order_by(AuditEntry.id.desc())
        ).scalar()
        assert entry is not None and entry.details["records"] == {"intervention": [open_id]}


@time_machine.travel(TODAY, tick=False)
def test_a_case_review_decision_letter_needs_a_decision(app, world, lt):
    council = _as(app, world, "spoc")
    form = {"letter_kind": "case_review_decision", "details": "Three reports in six months."}
    refused = _write(council, lt, **form)
    assert refused.status_code == 400
    assert "No ASB case review on this case" in refused.get_data(as_text=True)
    with app.test_request_context():
        case = db.session.get(Case, lt)
        review = case_reviews.open_review(
            case.hub,
            source="application",
            applicant="victim",
            received_on=date(2026, 11, 2),
            actor=None,
            case=case,
        )
        review.threshold_met = True
        review.decided_at = TODAY
        db.session.commit()
        reference = review.reference
    response = _write(council, lt, **form)
    assert response.status_code == 302
    text = council.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        reference in text
        and "2 November 2026" in text
        and "the threshold for a case review is met" in text
    )


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"letter_kind": None}, "letter_kind", "Choose the letter"),
        ({"recipient_name": None}, "recipient_name", "Enter who the letter is to"),
        ({"recipient_address": None}, "recipient_address", "Enter their address"),
        ({"letter_kind": "warning_letter"}, "details", "Enter the behaviour reported"),
    ],
)
def test_bad_input_writes_no_letter(app, world, lt, changes, field, message):
    form = {
        "letter_kind": "acknowledgement",
        "recipient_name": "William Hartley",
        "recipient_address": "Flat 3, 12 Mill Street",
        "letter_category": "incident",
        **changes,
    }
    form = {k: v for k, v in form.items() if v is not None}
    response = _as(app, world, "spoc").submit(f"/cases/{lt}/letters", form)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert f'id="{field}-error"' in text and message in text
    with app.app_context():
        assert db.session.execute(select(func.count(Letter.id))).scalar() == 0


@time_machine.travel(TODAY, tick=False)
def test_a_letter_is_read_only_through_the_permission_rule(app, world, lt):
    council = _as(app, world, "spoc")
    response = _write(
        council, lt, sharing="restricted", restricted_to=str(world.agency_ids["police"])
    )
    assert response.status_code == 302
    url = response.headers["Location"]
    assert council.get(url).status_code == 200
    housing = _as(app, world, "case_worker")  # a member, but not named
    assert housing.get(url).status_code == 404
    assert "William Hartley" not in housing.get(f"/cases/{lt}/evidence").get_data(as_text=True)
    assert _as(app, world, "other_hub").get(url).status_code == 404
