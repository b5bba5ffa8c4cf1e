"""After the meeting: minutes built from the decisions and filtered for each reader, the
chair's approval (after which nothing changes), circulation by email with a link only, the
printed agenda and minutes, a case's Conferences tab and the hub's decision log.

The live chair page is another part of the work: these tests write the rows it leaves behind
(decisions, attendance, discussion notes, a held conference) directly."""

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from marshmallow import ValidationError
from sqlalchemy import func, select

from hub.conferences import minutes as minutes_service
from hub.core.timeutil import LONDON
from hub.extensions import db
from hub.models import (
    Agency,
    AgendaReason,
    AuditEntry,
    Case,
    CaseNote,
    Conference,
    ConferenceDecision,
    Disclosure,
    Hub,
    User,
)
from tests.conftest import count_queries, page_text
from tests.support.factories import make_agency, make_user
from tests.support.meeting_data import (
    NOT_SHOWN,
    RESTRICTED,
    SECRETS_A,
    SECRETS_B,
    SECRETS_REFERRAL,
    build_meeting,
    decide,
    make_conference,
    put_on_agenda,
)


@pytest.fixture
def meeting(app, world):
    with app.app_context():
        m = build_meeting(world)
        db.session.commit()
        return SimpleNamespace(
            conference_id=m.conference.id,
            case_a_id=m.case_a.id,
            case_b_id=m.case_b.id,
            version=m.conference.edit_version,
        )


def signed_in(app, email: str):
    """A fresh browser for another person (a signed-in client cannot sign in again)."""
    from tests.conftest import HubClient

    app.test_client_class = HubClient
    client = app.test_client()
    client.sign_in(email)
    return client


def _minutes(client, meeting, who, world, suffix=""):
    client.sign_in(world.email[who])
    response = client.get(f"/conferences/{meeting.conference_id}/minutes{suffix}")
    assert response.status_code == 200
    return page_text(response)


# -- the minutes and what each reader sees ----------------------------------------------------


def test_minutes_follow_the_agenda_with_decisions_notes_and_attendance(ctx, world):
    m = build_meeting(world)
    manager = m.people["hub_manager"]
    built = minutes_service.build_minutes(manager, m.conference)
    assert [(r.number, r.reference) for r in built.items] == [
        (1, "CPL-MIN-B"),
        (2, "REF-MIN-1"),
        (3, "CPL-MIN-A"),
    ]
    assert all(r.entitled for r in built.items)
    b, r, a = built.items
    assert [d.summary for d in a.decisions] == ["Cumbria Constabulary leads", SECRETS_A[1]]
    assert [d.kind for d in r.decisions] == ["decline"]
    assert [n.note.body for n in b.notes] == [SECRETS_B[2], RESTRICTED]
    assert b.reason == "Overdue actions" and a.title == SECRETS_A[0]
    assert [a.agency.name for a in built.present] == [
        "Copeland Borough Council",
        "Cumbria Constabulary",
    ]
    assert [a.name for a in built.apologies] == ["Sam Tenancy"]
    assert built.chair.id == m.people["coordinator"].id and not built.approved


def test_each_reader_sees_the_details_of_what_they_are_entitled_to(ctx, world):
    m = build_meeting(world)

    def seen(who):
        built = minutes_service.build_minutes(m.people[who], m.conference)
        return {
            r.reference: (r.entitled, len(r.decisions), [n.note.body for n in r.notes])
            for r in built.items
        }

    assert seen("coordinator") == {
        "CPL-MIN-B": (False, 0, []),
        "REF-MIN-1": (True, 1, []),  # a coordinator triages the hub's referrals
        "CPL-MIN-A": (True, 2, [SECRETS_A[2] + ": seen at the shelter"]),
    }
    # The housing worker is on B, but the council restricted its safeguarding note.
    assert seen("case_worker") == {
        "CPL-MIN-B": (True, 1, [SECRETS_B[2]]),
        "REF-MIN-1": (False, 0, []),
        "CPL-MIN-A": (False, 0, []),
    }
    assert seen("analyst") == {
        "CPL-MIN-B": (False, 0, []),
        "REF-MIN-1": (False, 0, []),
        "CPL-MIN-A": (False, 0, []),
    }


def test_a_non_member_reader_sees_references_and_nothing_personal(client, meeting, world):
    html = _minutes(client, meeting, "case_worker", world)
    assert "CPL-MIN-A" in html and "REF-MIN-1" in html and NOT_SHOWN in html
    for secret in SECRETS_A + SECRETS_REFERRAL + (RESTRICTED, "Cumbria Constabulary leads"):
        assert secret not in html
    # What the reader is entitled to is there.
    for text in SECRETS_B:
        assert text in html
    # The header and attendance are for everyone in the hub.
    assert "Whitehaven police station" in html and "Sam Tenancy" in html
    assert "25 November 2026 at 10:00am" in html


def test_a_restricted_note_leaves_no_trace_for_a_reader_it_is_withheld_from(
    app, client, meeting, world
):
    before = _minutes(client, meeting, "case_worker", world)
    with app.app_context():
        db.session.execute(CaseNote.__table__.delete().where(CaseNote.body == RESTRICTED))
        db.session.commit()
    after = client.get(f"/conferences/{meeting.conference_id}/minutes")
    assert page_text(after) == before


def test_reading_the_notes_is_audited_and_registered_as_a_disclosure(app, client, meeting, world):
    _minutes(client, meeting, "hub_manager", world)
    with app.app_context():
        reads = db.session.execute(
            select(AuditEntry).where(
                AuditEntry.action == "personal_data_read",
                AuditEntry.target_type == "case",
                AuditEntry.user_id == world.user_id["hub_manager"],
            )
        ).scalars()
        by_case = {int(e.target_id): e.details["what"] for e in reads}
        assert by_case == {
            meeting.case_a_id: "conference minutes",
            meeting.case_b_id: "conference minutes",
        }
        disclosures = db.session.execute(
            select(Disclosure.case_id, Disclosure.from_agency_id, Disclosure.to_agency_id)
        ).all()
        council = world.agency_ids["council"]
        assert set(disclosures) == {
            (meeting.case_a_id, world.agency_ids["police"], council),
            (meeting.case_b_id, world.agency_ids["housing"], council),
        }


def test_the_minutes_of_another_hub_are_a_404(client, meeting, world):
    client.sign_in(world.email["other_hub"])
    assert client.get(f"/conferences/{meeting.conference_id}/minutes").status_code == 404
    assert client.get(f"/conferences/{meeting.conference_id}/minutes/print").status_code == 404


# -- remarks and approval ---------------------------------------------------------------------


def _conference(app, meeting) -> Conference:
    with app.app_context():
        c = db.session.get(Conference, meeting.conference_id)
        db.session.expunge(c)
        return c


@pytest.fixture
def on_26_november():
    with time_machine.travel(datetime(2026, 11, 26, 9, 30, tzinfo=LONDON), tick=False):
        yield


def test_the_chair_writes_remarks_and_approves_then_nothing_changes(
    app, client, meeting, world, on_26_november
):
    client.sign_in(world.email["coordinator"])
    url = f"/conferences/{meeting.conference_id}/minutes"
    response = client.submit(
        url + "/remarks",
        {"remarks": "Good attendance; thanks to every partner.", "version": meeting.version},
    )
    assert response.status_code == 302
    saved = _conference(app, meeting)
    assert saved.minutes_remarks == "Good attendance; thanks to every partner."
    response = client.submit(url + "/approve", {"version": saved.edit_version})
    assert response.status_code == 302
    approved = _conference(app, meeting)
    assert approved.minutes_approved_by_id == world.user_id["coordinator"]
    message = (
        "These minutes were approved on 26 November 2026 at 9:30am by Coord and cannot be changed"
    )
    page = client.get(url).get_data(as_text=True)
    assert "Approved on 26 November 2026 at 9:30am by Coord" in page
    assert "Save the remarks" not in page and "Approve the minutes</button>" not in page

    # Changing the remarks or approving again: refused with the message, nothing changed.
    for path, data in (
        ("/remarks", {"remarks": "Rewritten", "version": approved.edit_version}),
        ("/remarks", {"remarks": "Rewritten", "version": meeting.version}),
        ("/approve", {"version": approved.edit_version}),
    ):
        response = client.submit(url + path, data)
        assert response.status_code == 400, path
        assert message in response.get_data(as_text=True)
        after = _conference(app, meeting)
        assert after.minutes_remarks == "Good attendance; thanks to every partner."
        assert after.minutes_approved_at == approved.minutes_approved_at
        assert after.edit_version == approved.edit_version
    with app.app_context():
        actions = db.session.execute(
            select(AuditEntry.action).where(
                AuditEntry.target_type == "conference",
                AuditEntry.target_id == str(meeting.conference_id),
            )
        ).scalars()
        assert list(actions) == ["minutes_remarks_saved", "minutes_approved"]


def test_the_service_refuses_an_edit_to_approved_minutes_before_writing(ctx, world):
    m = build_meeting(world)
    chair = m.people["coordinator"]
    minutes_service.approve(m.conference, {"version": str(m.conference.edit_version)}, chair)
    with pytest.raises(ValidationError) as refused:
        minutes_service.save_remarks(
            m.conference, {"remarks": "x", "version": str(m.conference.edit_version)}, chair
        )
    assert "cannot be changed" in refused.value.messages["remarks"][0]
    assert m.conference.minutes_remarks == ""


def test_a_stale_form_is_refused_and_changes_nothing(app, client, meeting, world):
    client.sign_in(world.email["coordinator"])
    url = f"/conferences/{meeting.conference_id}/minutes"
    assert (
        client.submit(
            url + "/remarks", {"remarks": "First", "version": meeting.version}
        ).status_code
        == 302
    )
    # A second browser still holds the page as it was.
    response = client.submit(url + "/remarks", {"remarks": "Second", "version": meeting.version})
    assert response.status_code == 409
    assert "changed by someone else" in response.get_data(as_text=True)
    assert "Second" in response.get_data(as_text=True)  # what they typed is kept
    response = client.submit(url + "/approve", {"version": meeting.version})
    assert response.status_code == 409
    after = _conference(app, meeting)
    assert after.minutes_remarks == "First" and after.minutes_approved_at is None


def test_approval_needs_a_held_conference_and_the_chair(app, client, world):
    with app.app_context():
        m = build_meeting(world, status="live")
        db.session.commit()
        conference_id, version = m.conference.id, m.conference.edit_version
    url = f"/conferences/{conference_id}/minutes"
    manager = signed_in(app, world.email["hub_manager"])  # not the chair
    assert manager.submit(url + "/approve", {"version": version}).status_code == 404
    client.sign_in(world.email["coordinator"])
    response = client.submit(url + "/approve", {"version": version})
    assert response.status_code == 400
    assert "once the conference has been held" in response.get_data(as_text=True)
    # Remarks may be written while it is live.
    assert client.submit(url + "/remarks", {"remarks": "Ok", "version": version}).status_code == 302


def test_without_a_recorded_chair_a_coordinator_or_hub_manager_approves(ctx, world):
    from hub import permissions as perm

    m = build_meeting(world)
    m.conference.chair_id = None
    db.session.flush()
    assert perm.can_approve_minutes(m.people["hub_manager"], m.conference)
    assert perm.can_approve_minutes(m.people["coordinator"], m.conference)
    assert not perm.can_approve_minutes(m.people["case_worker"], m.conference)


def test_remarks_have_a_length_limit(client, meeting, world):
    client.sign_in(world.email["coordinator"])
    response = client.submit(
        f"/conferences/{meeting.conference_id}/minutes/remarks",
        {"remarks": "x" * 5001, "version": meeting.version},
    )
    assert response.status_code == 400
    assert "5000 characters or fewer" in response.get_data(as_text=True)


# -- circulation -------------------------------------------------------------------------------


def test_approved_minutes_are_circulated_once_with_a_link_and_no_personal_data(
    app, client, meeting, world, outbox
):
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        police = db.session.get(Agency, world.agency_ids["police"])
        fire = make_agency("Cumbria Fire and Rescue", "fire", hub)
        # Not on any case discussed, not present: gets nothing.
        make_user("crew@fire.example", fire, ("case_worker", hub))
        # An inactive account of a member agency: gets nothing.
        make_user("gone@police.example", police, ("case_worker", hub), is_active_account=False)
        db.session.commit()
    client.sign_in(world.email["coordinator"])
    url = f"/conferences/{meeting.conference_id}/minutes"
    response = client.submit(url + "/circulate", {})
    assert response.status_code == 400
    assert "Approve the minutes before circulating them" in response.get_data(as_text=True)
    assert outbox == []
    client.submit(url + "/approve", {"version": meeting.version})
    response = client.submit(url + "/circulate", {})
    assert response.status_code == 302
    recipients = sorted(m["To"] for m in outbox)
    # Present with an account (coordinator, hub manager), the hub's coordinators, and the
    # readers of agencies on the cases discussed (the housing worker, the council's SPoC);
    # not the referrer or analyst, whose roles read no case data. Each once.
    assert recipients == sorted(
        [
            world.email["coordinator"],
            world.email["hub_manager"],
            world.email["case_worker"],
            world.email["spoc"],
        ]
    )
    link = f"http://hub.test/conferences/{meeting.conference_id}/minutes"
    for message in outbox:
        body = message.get_content()
        assert link in body
        for secret in SECRETS_A + SECRETS_B + SECRETS_REFERRAL + (RESTRICTED,):
            assert secret not in body and secret not in message["Subject"]
        for reference in ("CPL-MIN-A", "CPL-MIN-B", "REF-MIN-1"):
            assert reference not in body
    assert _conference(app, meeting).minutes_circulated_at is not None
    response = client.submit(url + "/circulate", {})
    assert response.status_code == 400
    assert "sent only once" in response.get_data(as_text=True)
    assert len(outbox) == 4
    with app.app_context():
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "minutes_circulated")
        ).scalar_one()
        assert entry.details["after"]["recipients"] == 4


def test_no_email_leaves_when_circulation_is_rolled_back(ctx, world, outbox):
    m = build_meeting(world)
    chair = m.people["coordinator"]
    minutes_service.approve(m.conference, {"version": str(m.conference.edit_version)}, chair)
    assert len(minutes_service.circulate(m.conference, chair)) == 4
    db.session.rollback()
    assert outbox == []


# -- printing ----------------------------------------------------------------------------------


def test_printed_minutes_are_filtered_marked_and_audited_as_an_export(app, client, meeting, world):
    with time_machine.travel(datetime(2026, 11, 27, 14, 5, tzinfo=LONDON), tick=False):
        html = _minutes(client, meeting, "case_worker", world, "/print")
    assert "OFFICIAL-SENSITIVE" in html and "/static/css/print.css" in html
    assert "Printed for Worker, Home Group, on 27 November 2026 at 2:05pm" in html
    assert NOT_SHOWN in html and SECRETS_B[2] in html
    for secret in SECRETS_A + SECRETS_REFERRAL + (RESTRICTED,):
        assert secret not in html
    assert "<script>" not in html and "style=" not in html  # the CSP allows neither
    with app.app_context():
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "conference_minutes_exported")
        ).scalar_one()
        assert entry.user_id == world.user_id["case_worker"]
        assert entry.details["cases"] == [meeting.case_b_id] and entry.details["referrals"] == []


def test_the_printed_agenda_is_filtered_for_its_reader(app, client, meeting, world):
    client.sign_in(world.email["coordinator"])
    html = page_text(client.get(f"/conferences/{meeting.conference_id}/agenda/print"))
    assert "OFFICIAL-SENSITIVE" in html
    assert SECRETS_A[0] in html and SECRETS_B[0] not in html
    positions = [html.index(ref) for ref in ("CPL-MIN-B", "REF-MIN-1", "CPL-MIN-A")]
    assert positions == sorted(positions)
    with app.app_context():
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "conference_agenda_exported")
        ).scalar_one()
        assert entry.details["cases"] == [meeting.case_a_id]


def test_the_print_stylesheet_sets_a4_page_numbers_and_keeps_items_whole(client):
    css = client.get("/static/css/print.css").get_data(as_text=True)
    assert "size: A4" in css
    assert 'counter(page) " of " counter(pages)' in css
    assert "break-inside: avoid" in css and "OFFICIAL-SENSITIVE" in css


# -- the case's Conferences tab ----------------------------------------------------------------


def test_the_case_tab_lists_its_conferences_and_decisions(app, client, meeting, world):
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        case_a = db.session.get(Case, meeting.case_a_id)
        chair = db.session.get(User, world.user_id["coordinator"])
        earlier = make_conference(hub, datetime(2026, 11, 18, 10, 0, tzinfo=LONDON), chair=chair)
        earlier.minutes_approved_at = datetime(2026, 11, 19, 9, 0, tzinfo=LONDON)
        earlier.minutes_approved_by_id = chair.id
        item = put_on_agenda(earlier, 1, case=case_a, reason=AgendaReason.NEW_CASE.value)
        decide(item, "band", "Band raised to critical", chair, reason="Escalating")
        db.session.commit()
        earlier_id = earlier.id
    client.sign_in(world.email["coordinator"])
    response = client.get(f"/cases/{meeting.case_a_id}/conferences")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    newer, older = html.index("25 November 2026"), html.index("18 November 2026")
    assert newer < older
    assert "Band raised to critical" in html and SECRETS_A[1] in html
    assert "New case awaiting conference" in html and "Review due" in html
    assert f'href="/conferences/{earlier_id}/minutes"' in html
    assert f'href="/conferences/{meeting.conference_id}/minutes"' not in html  # not approved
    # The tab is a case page: the housing worker, not on A, gets the same 404 as ever.
    worker = signed_in(app, world.email["case_worker"])
    assert worker.get(f"/cases/{meeting.case_a_id}/conferences").status_code == 404


def _grow_conferences(app, world, case_id: int, n: int, start: int) -> None:
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        case = db.session.get(Case, case_id)
        chair = db.session.get(User, world.user_id["coordinator"])
        for i in range(n):
            c = make_conference(
                hub,
                datetime(2026, 1, 7, 10, 0, tzinfo=LONDON) + timedelta(weeks=start + i),
                chair=chair,
            )
            item = put_on_agenda(c, 1, case=case)
            decide(item, "next_review", f"Review {i}", chair)
            decide(item, "action", f"Action {i}", chair)
        db.session.commit()


def test_the_case_tab_query_count_is_constant_as_conferences_grow(
    app, client, meeting, world, _transaction
):
    client.sign_in(world.email["coordinator"])
    path = f"/cases/{meeting.case_a_id}/conferences"
    client.get(path)
    _grow_conferences(app, world, meeting.case_a_id, 2, 0)
    with count_queries(_transaction) as few:
        assert client.get(path).status_code == 200
    _grow_conferences(app, world, meeting.case_a_id, 12, 10)
    with count_queries(_transaction) as many:
        response = client.get(path)
    assert response.get_data(as_text=True).count('data-testid="case-conference-') == 15
    assert len(few) == len(many), (len(few), len(many))


# -- the hub's decision log --------------------------------------------------------------------


def test_the_decision_log_is_newest_first_with_details_for_the_entitled(
    app, client, meeting, world
):
    with app.app_context():
        ids = list(
            db.session.execute(
                select(ConferenceDecision.id).order_by(ConferenceDecision.id)
            ).scalars()
        )
        # Decided a minute apart, in the order they were recorded.
        for n, decision_id in enumerate(ids):
            db.session.get(ConferenceDecision, decision_id).decided_at = datetime(
                2026, 11, 25, 10, n, tzinfo=LONDON
            )
        db.session.commit()
    client.sign_in(world.email["case_worker"])
    response = client.get("/hubs/copeland/decisions")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows = [html.index(f'data-testid="decision-{i}"') for i in ids]
    assert rows == sorted(rows, reverse=True)
    assert SECRETS_B[1] in html and html.count(NOT_SHOWN) == 3
    for secret in SECRETS_A + SECRETS_REFERRAL + ("Cumbria Constabulary leads",):
        assert secret not in html
    manager = signed_in(app, world.email["hub_manager"])
    html = manager.get("/hubs/copeland/decisions").get_data(as_text=True)
    assert NOT_SHOWN not in html and SECRETS_REFERRAL[0] in html


def test_the_decision_log_filters_by_kind_and_date_and_pages(app, client, meeting, world):
    client.sign_in(world.email["hub_manager"])
    html = client.get("/hubs/copeland/decisions?kind=action").get_data(as_text=True)
    assert SECRETS_A[1] in html and SECRETS_B[1] not in html and "1 decisions" in html
    with app.app_context():
        for d in db.session.execute(select(ConferenceDecision)).scalars():
            d.decided_at = datetime(2026, 11, 25, 23, 30, tzinfo=LONDON)  # 23:30 UTC in winter
        db.session.commit()
    on_the_day = client.get("/hubs/copeland/decisions?date_from=2026-11-25&date_to=2026-11-25")
    assert "4 decisions" in on_the_day.get_data(as_text=True)
    next_day = client.get("/hubs/copeland/decisions?date_from=2026-11-26")
    assert "0 decisions" in next_day.get_data(as_text=True)
    bad = client.get("/hubs/copeland/decisions?date_from=2026-11-31&kind=nonsense")
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "Enter the from date as a real date" in text and "Choose a kind of decision" in text
    backwards = client.get("/hubs/copeland/decisions?date_from=2026-11-26&date_to=2026-11-25")
    assert backwards.status_code == 400


def test_the_decision_log_pages_with_a_constant_number_of_queries(
    app, client, meeting, world, _transaction
):
    client.sign_in(world.email["hub_manager"])
    client.get("/hubs/copeland/decisions")
    with count_queries(_transaction) as few:
        client.get("/hubs/copeland/decisions")
    _grow_conferences(app, world, meeting.case_a_id, 30, 0)
    with count_queries(_transaction) as many:
        page_one = client.get("/hubs/copeland/decisions").get_data(as_text=True)
    # The newest page now holds no referral decision, which saves a query: never more.
    assert len(many) <= len(few), (len(few), len(many))
    assert "64 decisions; page 1 of 2" in page_one
    page_two = client.get("/hubs/copeland/decisions?page=2").get_data(as_text=True)
    assert page_two.count('data-testid="decision-') == 14
    with app.app_context():
        total = db.session.execute(select(func.count(ConferenceDecision.id))).scalar()
    assert total == 64


def test_the_conferences_index_links_to_the_decision_log(client, meeting, world):
    client.sign_in(world.email["analyst"])
    html = client.get("/hubs/copeland/conferences").get_data(as_text=True)
    assert 'href="/hubs/copeland/decisions"' in html
