"""Stored content written to attack whoever reads it (issue 17): markup and script, a
right-to-left override that would reorder the page around it, and spreadsheet formulas. Every
output that shows stored text is walked with it in place: pages, minutes and their print
pages, the calendar invitation, emails, CSV downloads and the API's JSON. NUL bytes cannot be
stored at all (hub/core/inputs.py refuses them), which the last test shows on each way in."""

import csv
import io
import json
import re
from datetime import date
from email import message_from_string
from types import SimpleNamespace

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from hub.extensions import db
from hub.models import CaseNote, Intervention
from tests.conftest import HubClient
from tests.support.meeting_data import build_meeting, decide, discuss
from tests.support.referral_data import auth, issue_token

RLO, PDF = "\u202e", "\u202c"
# One value that is at once markup, script, an attribute break-out, a bidi override left open
# and a spreadsheet formula (it starts with "="). Short enough for a referral's summary.
HOSTILE = (
    '=HYPERLINK("https://evil.example","open")'
    "<script>alert(1)</script><img src=x onerror=alert(2)>"
    f'" autofocus onfocus="alert(3) {RLO}exe.txt'
)
# A text cell a spreadsheet would run, for each trigger character.
FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)"]


@pytest.fixture
def hostile(app, world):
    with app.app_context():
        m = build_meeting(world)
        council = m.agencies["council"]
        m.hub.name = "Copeland " + HOSTILE[:60]
        m.case_a.title = HOSTILE
        m.conference.place = HOSTILE + "\r\nEND:VEVENT\r\nBEGIN:VEVENT"
        m.referral.summary = HOSTILE
        council.name = "=cmd|' /C calc'!A0 Council"
        item_a = m.items[0]
        decide(item_a, "action", HOSTILE, m.people["coordinator"])
        discuss(item_a, m.case_a, council, m.people["hub_manager"], HOSTILE)
        for i, formula in enumerate(FORMULAS):
            discuss(item_a, m.case_a, council, m.people["hub_manager"], formula + f" note{i}")
        db.session.add(
            Intervention(
                case_id=m.case_a.id,
                type="warning_letter",
                origin_agency_id=council.id,
                category="incident",
                issuing_officer=HOSTILE,
                subject=HOSTILE,
                subject_age_group="adult",
                breaches=HOSTILE,
                served_on=date(2026, 11, 3),
                recorded_by_id=m.people["coordinator"].id,
            )
        )
        db.session.commit()
        return SimpleNamespace(
            conference_id=m.conference.id,
            case_id=m.case_a.id,
            referral_id=m.referral.id,
            version=m.conference.edit_version,
        )


def browser(app, email):
    app.test_client_class = HubClient
    client = app.test_client()
    client.sign_in(email)
    return client


def assert_inert_html(html: str, where: str) -> None:
    """No markup of the payload survives as markup; its text is there, escaped (so the test
    is looking at a page that shows it); every override it opened is closed within it."""
    assert "<script>alert" not in html, where
    assert "<img src=x" not in html, where
    assert 'onfocus="alert' not in html, where
    assert "&lt;script&gt;alert(1)" in html, f"{where} does not show the value"
    for match in re.finditer(RLO, html):
        rest = html[match.end() :]
        closed = rest.find(PDF)
        ends = min(i for i in (rest.find("<"), rest.find('"'), len(rest)) if i >= 0)
        assert 0 <= closed <= ends, f"{where}: a right-to-left override runs on past its value"


CASE_TABS = ("", "/referrals", "/plan", "/actions", "/interventions", "/conferences", "/activity")


def test_pages_minutes_and_print_pages_show_it_as_text(app, world, hostile):
    manager = browser(app, world.email["hub_manager"])
    conference = f"/conferences/{hostile.conference_id}"
    pages = [
        "/hubs/copeland/board",
        *(f"/cases/{hostile.case_id}{tab}" for tab in CASE_TABS),
        conference,
        conference + "/minutes",
        conference + "/minutes/print",
        conference + "/agenda/print",
        "/hubs/copeland/decisions",
    ]
    for path in pages:
        response = manager.get(path)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"].startswith("text/html"), path
        assert_inert_html(response.get_data(as_text=True), path)
    referrer = browser(app, world.email["referrer"])
    path = f"/referrals/{hostile.referral_id}"
    assert_inert_html(referrer.get(path).get_data(as_text=True), path)


def test_the_calendar_invitation_holds_one_event_with_the_place_as_plain_text(app, world, hostile):
    manager = browser(app, world.email["hub_manager"])
    response = manager.get(f"/conferences/{hostile.conference_id}.ics")
    assert response.headers["Content-Type"].startswith("text/calendar")
    body = response.get_data(as_text=True)
    calendar = Calendar.from_ical(body)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    assert str(events[0]["location"]).startswith(HOSTILE)  # kept as text, escaped for the format
    assert body.count("\r\nBEGIN:VEVENT") == 1  # no line break in the value starts another


def test_emails_are_plain_text_with_no_header_added(app, world, hostile, outbox):
    chair = browser(app, world.email["coordinator"])
    url = f"/conferences/{hostile.conference_id}/minutes"
    chair.submit(url + "/approve", {"version": hostile.version})
    assert chair.submit(url + "/circulate", {}).status_code == 302
    assert outbox
    for sent in outbox:
        message = message_from_string(sent.as_string())
        assert message.get_content_type() == "text/plain"
        assert not message.is_multipart()
        assert message.get_all("Bcc") is None and len(message.get_all("To")) == 1
        assert HOSTILE not in message.get_payload(decode=True).decode()  # a link, no case text


def test_csv_downloads_neutralise_formulas(app, world, hostile):
    manager = browser(app, world.email["hub_manager"])
    response = manager.get(
        "/hubs/copeland/analytics/powers.csv", query_string={"start": "2026-11", "end": "2026-11"}
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    cells = [cell for row in rows for cell in row]
    assert "'=cmd|' /C calc'!A0 Council" in cells  # shown, as text
    for cell in cells:
        assert cell.lstrip(" \t\r\n")[:1] not in set("=+-@|%"), cell


def test_the_api_answers_json_that_keeps_the_text_and_cannot_be_sniffed(app, world, hostile):
    token = issue_token(app, world.email["referrer"])
    response = app.test_client().get(
        f"/api/v1/referrals/{hostile.referral_id}", headers=auth(token)
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_json()["summary"] == HOSTILE  # data, exactly as stored
    json.loads(response.get_data(as_text=True))


def test_nul_bytes_never_reach_the_database(app, world, hostile):
    manager = browser(app, world.email["hub_manager"])
    with app.app_context():
        before = db.session.execute(select(func.count(CaseNote.id))).scalar_one()
    response = manager.submit(
        f"/cases/{hostile.case_id}/notes",
        {"body": "before\x00after", "category": "incident"},
        token_from=f"/cases/{hostile.case_id}",
    )
    assert response.status_code == 400
    assert "cannot be stored" in response.get_data(as_text=True)
    token = issue_token(app, world.email["referrer"])
    api = app.test_client().post(
        "/api/v1/referrals", json={"summary": "a\x00b"}, headers=auth(token)
    )
    assert api.status_code == 400 and api.get_json()["error"]["code"] == "bad_request"
    with app.app_context():
        assert db.session.execute(select(func.count(CaseNote.id))).scalar_one() == before


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("plain", "plain"),
        ("\u0645\u0631\u062d\u0628\u0627 Ali", "\u0645\u0631\u062d\u0628\u0627 Ali"),  # Arabic
        (f"a{RLO}b", f"a{RLO}b{PDF}"),
        (f"a{RLO}b{PDF}c", f"a{RLO}b{PDF}c"),  # closed already
        ("a\u2067b\u202ec", "a\u2067b\u202ec\u202c\u2069"),  # innermost closed first
        ("a\u2067b\u202ec\u2069", "a\u2067b\u202ec\u2069"),  # the PDI closes both
        (f"a{PDF}{PDF}", f"a{PDF}{PDF}"),  # a stray closer opens nothing
    ],
)
def test_each_value_closes_the_directions_it_opens(value, shown):
    from hub.core.templating import close_bidi

    assert close_bidi(value) == shown
