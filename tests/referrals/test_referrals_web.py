"""The web question flow, drafts, the one-time form token, triage and what the referrer sees."""

import re
from datetime import datetime

import time_machine
from sqlalchemy import func, select

from hub.extensions import db
from hub.models import AuditEntry, Case, CaseMembership, Referral
from tests.conftest import count_queries

NOW = datetime.fromisoformat("2026-11-18T10:00:00+00:00")  # a Wednesday


def _draft_id(response) -> int:
    return int(re.search(r"/referrals/(\d+)/", response.headers["Location"]).group(1))


HIGH = ("targeted", "repeat", "fear_for_safety", "routine_affected")  # 21 + 6 personal: high


def fill_referral(client, *, victim="William Hartley", risk=HIGH):
    """Walk the question flow as a person would; returns the draft id."""
    r = client.submit("/referrals/new", {"about": "person", "category": "personal"})
    assert r.status_code == 302, re.findall(
        r"error-message.*?</p>|<li>.*?</li>", r.get_data(as_text=True), re.S
    )
    rid = _draft_id(r)
    steps = [
        (
            f"/referrals/{rid}/what",
            {
                "summary": "Older man targeted by youths",
                "description": "Youths gather outside his flat and bang on the door at night.",
                "first_incident_on-day": "1",
                "first_incident_on-month": "8",
                "first_incident_on-year": "2026",
                "incident_count": "12",
            },
        ),
        (
            f"/referrals/{rid}/where",
            {"address": "Flat 3, 12 Mill Street, Whitehaven", "postcode": "ca287xy"},
        ),
        (
            f"/referrals/{rid}/people",
            {
                "action": "add",
                "role": "victim",
                "name": victim,
                "date_of_birth-day": "2",
                "date_of_birth-month": "3",
                "date_of_birth-year": "1958",
                "vulnerabilities": "age",
            },
        ),
        (f"/referrals/{rid}/people", {"action": "continue"}),
        (f"/referrals/{rid}/consent", {"consent_given": "no", "consent_reason": "risk of harm"}),
        (f"/referrals/{rid}/risk", {f"risk-{k}": "yes" for k in risk}),
    ]
    for path, data in steps:
        r = client.submit(path, data)
        assert r.status_code == 302, (path, r.get_data(as_text=True)[:3000])
    return rid


def send(client, rid):
    html = client.get(f"/referrals/{rid}/check").get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"', html).group(1)
    return client.submit(f"/referrals/{rid}/check", {"form_token": token}), token


@time_machine.travel(NOW, tick=False)
def test_a_council_user_refers_through_the_flow_and_sees_band_and_deadline(app, client, world):
    client.sign_in(world.email["referrer"])
    rid = fill_referral(client)
    check = client.get(f"/referrals/{rid}/check").get_data(as_text=True)
    assert "Check your answers" in check and "William Hartley" in check and "CA28 7XY" in check
    response, _ = send(client, rid)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Referral sent" in page
    assert re.search(r'data-testid="band">High<', page)
    assert "23 November 2026 at 5:00pm" in page


@time_machine.travel(NOW, tick=False)
def test_a_second_send_with_the_same_token_makes_no_second_referral(app, client, world):
    client.sign_in(world.email["referrer"])
    rid = fill_referral(client)
    first, token = send(client, rid)
    again = client.submit(f"/referrals/{rid}/check", {"form_token": token})
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Referral)).scalar_one() == 1


@time_machine.travel(NOW, tick=False)
def test_field_errors_show_in_the_summary_and_nothing_is_saved(app, client, world):
    client.sign_in(world.email["referrer"])
    rid = _draft_id(client.submit("/referrals/new", {"about": "person", "category": "personal"}))
    r = client.submit(
        f"/referrals/{rid}/what",
        {
            "summary": "",
            "description": "short",
            "first_incident_on-day": "1",
            "first_incident_on-month": "1",
            "first_incident_on-year": "2027",
            "incident_count": "many",
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "There is a problem" in html
    for message in (
        "Enter a one-line summary",
        "What is happening must be between 10 and 10,000 characters",
        "The date of the first incident must be today or in the past",
        "Number of incidents must be a whole number",
    ):
        assert message in html
    assert 'href="#summary"' in html
    with app.app_context():
        assert "summary" not in db.session.get(Referral, rid).draft
    r = client.submit(f"/referrals/{rid}/where", {"address": "12 Mill St", "postcode": "NOT A PC"})
    assert "Enter a real postcode, like CA28 7XY" in r.get_data(as_text=True)
    r = client.submit(f"/referrals/{rid}/consent", {"consent_given": "no"})
    assert "Enter the reason for referring without consent" in r.get_data(as_text=True)


@time_machine.travel(NOW, tick=False)
def test_a_draft_is_saved_and_only_its_author_sees_it(app, client, world):
    client.sign_in(world.email["referrer"])
    rid = _draft_id(client.submit("/referrals/new", {"about": "place", "category": "nuisance"}))
    r = client.submit(
        f"/referrals/{rid}/what",
        {"summary": "Fly-tipping behind the shops", "action": "save"},
    )
    assert r.status_code == 400  # the page still has to be valid to save
    r = client.submit(
        f"/referrals/{rid}/what",
        {
            "summary": "Fly-tipping behind the shops",
            "description": "Bags dumped every week behind Lowther Street shops.",
            "first_incident_on-day": "3",
            "first_incident_on-month": "9",
            "first_incident_on-year": "2026",
            "incident_count": "6",
            "action": "save",
        },
    )
    assert r.headers["Location"].endswith("/referrals/")
    listing = client.get("/referrals/").get_data(as_text=True)
    assert f"Draft {rid}" in listing and "Fly-tipping behind the shops" in listing
    check = client.get(f"/referrals/{rid}/check").get_data(as_text=True)
    assert "Some answers are missing" in check
    # Someone else in the same agency cannot open it: a plain 404.
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/account/")})
    client.sign_in(world.email["spoc"])
    assert client.get(f"/referrals/{rid}/check").status_code == 404
    assert f"Draft {rid}" not in client.get("/referrals/").get_data(as_text=True)


@time_machine.travel(NOW, tick=False)
def test_coordinator_triages_into_a_case_and_the_referrer_sees_the_outcome(app, client, world):
    client.sign_in(world.email["referrer"])
    rid = fill_referral(client)
    send(client, rid)
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/account/")})
    client.sign_in(world.email["coordinator"])
    queue = client.get("/triage/").get_data(as_text=True)
    # Its row: the summary, the referring agency and the link to triage it.
    row = re.search(
        rf'<tr[^>]*>(?:(?!</tr>).)*href="/triage/{rid}"(?:(?!</tr>).)*</tr>', queue, re.S
    )
    assert "Older man targeted by youths" in row.group(0)
    assert "Copeland Borough Council" in row.group(0)
    page = client.get(f"/triage/{rid}").get_data(as_text=True)
    assert "Why this score" in page and "William Hartley" in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    r = client.submit(f"/triage/{rid}", {"decision": "new_case", "title": ""})
    assert r.status_code == 400 and "Enter a short title" in r.get_data(as_text=True)
    r = client.submit(
        f"/triage/{rid}",
        {"decision": "new_case", "title": "Personal ASB, CA28", "version": version},
    )
    assert r.status_code == 302
    with app.app_context():
        case = db.session.execute(select(Case)).scalar_one()
        assert case.reference == "CPL-2026-0001"
        assert case.band == "high" and case.stage == "awaiting_conference"
        routes = {
            m.agency_id: m.route for m in db.session.execute(select(CaseMembership)).scalars()
        }
        assert routes == {
            world.agency_ids["council"]: "referral",
            world.agency_ids["police"]: "triage",
        }
        actions = set(db.session.execute(select(AuditEntry.action)).scalars())
        assert {"referral_triaged", "case_opened", "case_member_added"} <= actions
    # Triaged twice: the second is refused, clearly.
    again = client.submit(f"/triage/{rid}", {"decision": "declined", "reason": "x"})
    assert again.status_code == 302
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/account/")})
    client.sign_in(world.email["referrer"])
    page = client.get(f"/referrals/{rid}").get_data(as_text=True)
    assert "New case opened" in page and "CPL-2026-0001" in page
    assert "New case opened" in client.get("/referrals/").get_data(as_text=True)


def test_only_coordinators_and_hub_managers_reach_triage(client, world):
    client.sign_in(world.email["referrer"])
    assert client.get("/triage/").status_code == 404


@time_machine.travel(NOW, tick=False)
def test_sending_an_incomplete_draft_links_each_error_to_its_page(app, client, world):
    client.sign_in(world.email["referrer"])
    rid = _draft_id(client.submit("/referrals/new", {"about": "person", "category": "personal"}))
    response, _ = send(client, rid)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'href="/referrals/{rid}/what"' in html and "Enter a one-line summary" in html
    # Complete but naming no one, though it is about a person.
    rid = fill_referral(client)
    client.submit(f"/referrals/{rid}/people/0/remove")
    response, _ = send(client, rid)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'href="/referrals/{rid}/people"' in html
    assert "Name at least one person when the referral is about a person" in html
    with app.app_context():
        assert db.session.get(Referral, rid).status == "draft"


@time_machine.travel(NOW, tick=False)
def test_list_pages_run_the_same_queries_for_one_referral_or_many(app, client, world, _transaction):
    from referrals import intake
    from tests.support.referral_data import payload, user

    def add(n):
        with app.app_context():
            for email in [world.email["referrer"], world.email["spoc"]] * n:
                intake.submit_referral(payload(), user=user(email))
            db.session.commit()

    counts = {}
    for label, email, path in (
        ("mine", world.email["referrer"], "/referrals/"),
        ("queue", world.email["coordinator"], "/triage/"),
    ):
        client.sign_in(email)
        add(1)
        client.get(path)
        with count_queries(_transaction) as few:
            assert client.get(path).status_code == 200
        add(4)
        with count_queries(_transaction) as many:
            page = client.get(path).get_data(as_text=True)
        assert page.count("Older man targeted") >= 10
        counts[label] = (len(few), len(many))
        client.post("/sign-out", data={"csrf_token": client.csrf_token("/account/")})
    assert all(a == b for a, b in counts.values()), counts


@time_machine.travel(NOW, tick=False)
def test_another_agency_gets_the_same_404_for_a_referral_page_and_it_is_audited(app, client, world):
    client.sign_in(world.email["referrer"])
    rid = fill_referral(client)
    send(client, rid)
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/account/")})
    client.sign_in(world.email["case_worker"])  # housing: not the referrer's agency
    assert client.get(f"/referrals/{rid}").status_code == 404
    assert client.get("/referrals/999999").status_code == 404
    assert client.get(f"/triage/{rid}").status_code == 404
    with app.app_context():
        denied = db.session.execute(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.outcome == "denied")
        ).scalar_one()
    assert denied >= 3


@time_machine.travel(NOW, tick=False)
def test_a_referrer_classifies_the_referral_and_answers_dont_know(app, client, world):
    """The 'what' page offers the hub's incident categories, ASB types and hate strands and a
    crime reference; the risk page has yes, no and don't know for each question."""
    client.sign_in("referrer@council.example")
    rid = fill_referral(client)
    page = client.get(f"/referrals/{rid}/what").get_data(as_text=True)
    assert "Incident category" in page and "Cuckooing" in page and "Transgender identity" in page
    r = client.submit(
        f"/referrals/{rid}/what",
        {
            "summary": "Older man targeted by youths",
            "description": "Youths gather outside his flat and shout disability abuse at night.",
            "first_incident_on-day": "1",
            "first_incident_on-month": "8",
            "first_incident_on-year": "2026",
            "incident_count": "12",
            "incident_category": "asb_personal",
            "asb_type": "intimidation",
            "hate_strands": "disability",
            "crime_reference": "CR/2026/99881",
        },
    )
    assert r.status_code == 302
    risk = client.get(f"/referrals/{rid}/risk").get_data(as_text=True)
    assert 'value="unknown"' in risk and "Don&#39;t know" in risk
    answers = {f"risk-{k}": "yes" for k in HIGH} | {
        "risk-hate_motivated": "yes",
        "risk-vulnerable": "unknown",
    }
    assert client.submit(f"/referrals/{rid}/risk", answers).status_code == 302
    check = client.get(f"/referrals/{rid}/check").get_data(as_text=True)
    assert "CR/2026/99881" in check and "Is the victim, or anyone in their household" in check
    response, _ = send(client, rid)
    assert response.status_code == 302
    referral = db.session.get(Referral, rid)
    assert (referral.asb_type, referral.hate_strands, referral.risk_unknown) == (
        "intimidation",
        ["disability"],
        ["vulnerable"],
    )
