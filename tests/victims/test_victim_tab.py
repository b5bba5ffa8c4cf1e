"""The Victim tab and My victims through the routes: a SPoC adds a victim, records a call and
the next call-back, and tells the victim of a milestone; bad input gets field messages and
writes nothing; an agency whose ISA lacks victim contact sees nothing and its refusal is
audited; a restricted victim stays with the agencies chosen; the pages' query counts do not
grow with the victims on them. Wall-clock times are London's (GMT in November)."""

import time_machine
from sqlalchemy import func, select

from hub.extensions import db
from hub.models import AuditEntry, CallBack, Case, User, Victim, VictimContact, VictimUpdate
from hub.victims import call_backs, contacts, records
from tests.conftest import count_queries
from tests.victims.conftest import VICTIM, at

CALL = {
    "contact_on": "2026-11-23",
    "contact_time": "09:15",
    "channel": "phone",
    "outcome": "spoke",
    "reported": "Music from number 12 until 3am on Saturday",
    "told": "The council will visit number 12 this week",
    "risk_now": "same",
    "next_on": "2026-11-30",
    "next_time": "11:00",
}


def count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(model.id))).scalar()


def denials(app, what: str) -> int:
    with app.app_context():
        query = select(AuditEntry.details).where(AuditEntry.action == "access_denied")
        return sum(1 for d in db.session.execute(query).scalars() if d.get("what") == what)


def test_a_spoc_adds_a_victim_records_a_call_and_schedules_the_next(app, client, web):
    tab = f"/cases/{web.case_id}/victim"
    with time_machine.travel(at("2026-11-23T09:30"), tick=False):
        client.sign_in(web.email["spoc"])
        page = client.get(tab)
        assert page.status_code == 200
        assert "Maureen Tallis" in page.get_data(as_text=True)
        added = client.submit(
            f"/cases/{web.case_id}/victims",
            dict(VICTIM, name="Jonah Price", safe_to_leave_message="yes"),
            token_from=tab,
        )
        assert added.status_code == 302
        with app.app_context():
            jonah = db.session.execute(
                select(Victim).where(Victim.name == "Jonah Price")
            ).scalar_one()
            spoc_id = db.session.execute(
                select(User.id).where(User.email == web.email["spoc"])
            ).scalar()
            assert jonah.spoc_user_id == spoc_id  # the case's SPoC, by default
            jonah_id = jonah.id
        recorded = client.submit(
            f"/cases/{web.case_id}/victims/{jonah_id}/contacts", CALL, token_from=tab
        )
        assert recorded.status_code == 302
        page = client.get(tab).get_data(as_text=True)
    assert "Music from number 12 until 3am on Saturday" in page
    assert "30 November 2026 at 11:00am" in page
    with app.app_context():
        cb = db.session.execute(select(CallBack).where(CallBack.victim_id == jonah_id)).scalar_one()
        assert cb.due_at.isoformat() == "2026-11-30T11:00:00+00:00"  # stored UTC
    assert "Do not leave a message" in page  # Maureen's record says it is not safe


def test_bad_input_is_answered_field_by_field_and_writes_nothing(app, client, web):
    tab = f"/cases/{web.case_id}/victim"
    with time_machine.travel(at("2026-11-24T09:30"), tick=False):
        client.sign_in(web.email["spoc"])
        refused = client.submit(
            f"/cases/{web.case_id}/victims",
            {"preferred_channel": "letter", "safe_to_send_letter": "no"},
            token_from=tab,
        )
        assert refused.status_code == 400
        html = refused.get_data(as_text=True)
        assert "There is a problem" in html
        assert "Enter the victim&#39;s name" in html
        assert "A letter is only a preferred way once it is known to be safe" in html
        contact = f"/cases/{web.case_id}/victims/{web.victim_id}/contacts"
        left = client.submit(
            contact,
            {
                "contact_on": "2026-11-24",
                "contact_time": "09:00",
                "channel": "phone",
                "outcome": "message_left",
            },
            token_from=tab,
        )
        assert left.status_code == 400
        assert "does not say a message is safe" in left.get_data(as_text=True)
        future = client.submit(
            contact,
            {"contact_on": "2026-11-25", "channel": "phone", "outcome": "no_answer"},
            token_from=tab,
        )
        assert future.status_code == 400
        assert "cannot be in the future" in future.get_data(as_text=True)
        nonsense = client.submit(
            f"/cases/{web.case_id}/victims/{web.victim_id}/call-back",
            {"due_on": "9999-99-99", "due_time": "25:00"},
            token_from=tab,
        )
        assert nonsense.status_code == 400
        assert "Enter the time of the call-back, like 14:30" in nonsense.get_data(as_text=True)
    assert count(app, Victim) == 1
    assert count(app, VictimContact) == 0
    assert count(app, CallBack) == 0


def test_telling_the_victim_of_a_milestone_is_one_click_and_told_twice_is_once(app, client, web):
    tab = f"/cases/{web.case_id}/victim"
    told = f"/cases/{web.case_id}/victims/{web.victim_id}/told"
    with time_machine.travel(at("2026-11-24T10:00"), tick=False):
        client.sign_in(web.email["spoc"])
        page = client.get(tab).get_data(as_text=True)
        assert "The partners opened a case" in page and "Not told yet" in page
        for _ in range(2):
            sent = client.submit(
                told, {"milestone": "case_opened", "channel": "phone"}, token_from=tab
            )
            assert sent.status_code == 302
        made_up = client.submit(
            told, {"milestone": "intervention:999", "channel": "phone"}, token_from=tab
        )
        assert made_up.status_code == 400
        assert "Told</strong>" in client.get(tab).get_data(as_text=True)
    assert count(app, VictimUpdate) == 1


def test_an_agency_without_victim_contact_sees_no_victim_and_its_refusals_are_audited(
    app, client, web
):
    tab = f"/cases/{web.case_id}/victim"
    before = denials(app, "victim contact")
    with time_machine.travel(at("2026-11-24T10:00"), tick=False):
        client.sign_in(web.email["fire"])
        page = client.get(tab)
        assert page.status_code == 200  # the case is fire's to see; its victims are not
        html = page.get_data(as_text=True)
        assert "do not cover victim contact" in html
        assert "Maureen Tallis" not in html and "Lowther Street" not in html
        assert denials(app, "victim contact") == before + 1
        writes = denials(app, "policy:write_victims")
        refused = client.submit(
            f"/cases/{web.case_id}/victims/{web.victim_id}/contacts",
            {"contact_on": "2026-11-24", "channel": "phone", "outcome": "no_answer"},
            token_from=tab,
        )
        assert refused.status_code == 404
        assert denials(app, "policy:write_victims") == writes + 1
        mine = client.get(f"/hubs/{web.hub_slug}/my-victims")
        assert mine.status_code == 200 and "Maureen Tallis" not in mine.get_data(as_text=True)


def test_a_restricted_victim_and_its_log_stay_with_the_agencies_chosen(app, client, web):
    with time_machine.travel(at("2026-11-23T09:00"), tick=False), app.app_context():
        case = db.session.get(Case, web.case_id)
        spoc = db.session.execute(select(User).where(User.email == web.email["spoc"])).scalar()
        hidden = records.add_victim(
            case,
            dict(VICTIM, name="Priya Raman", sharing="restricted", restricted_to=[web.police_id]),
            actor=spoc,
        )
        contacts.record_contact(
            case,
            hidden,
            dict(CALL, reported="Threats shouted through the letterbox", contact_time="08:30"),
            actor=spoc,
        )
        db.session.commit()
        hidden_id = hidden.id
    tab = f"/cases/{web.case_id}/victim"
    with time_machine.travel(at("2026-11-24T10:00"), tick=False):
        # Housing is a member under an ISA covering victim contact, but not on the list.
        client.sign_in(web.email["case_worker"])
        html = client.get(tab).get_data(as_text=True)
        assert "Maureen Tallis" in html
        assert "Priya Raman" not in html and "letterbox" not in html
        assert client.get(f"/cases/{web.case_id}/victims/{hidden_id}/edit").status_code == 404
        police = app.test_client()
        police.sign_in(web.email["coordinator"])
        assert "letterbox" in police.get(tab).get_data(as_text=True)


def test_my_victims_lists_overdue_and_due_today_across_cases(app, client, web):
    with time_machine.travel(at("2026-11-23T09:00"), tick=False), app.app_context():
        case = db.session.get(Case, web.case_id)
        victim = db.session.get(Victim, web.victim_id)
        spoc = db.session.get(User, victim.spoc_user_id)
        call_backs.set_call_back(case, victim, at("2026-11-24T10:00"), actor=spoc)
        db.session.commit()
    mine = f"/hubs/{web.hub_slug}/my-victims"
    with time_machine.travel(at("2026-11-24T08:00"), tick=False):
        client.sign_in(web.email["spoc"])
        html = client.get(mine).get_data(as_text=True)
        assert "None overdue" in html
        assert (
            "Maureen Tallis"
            in html.split('<h2 class="govuk-heading-m">Due today')[1].split("Coming up")[0]
        )
    with time_machine.travel(at("2026-11-26T08:00"), tick=False):
        later = app.test_client()
        later.sign_in(web.email["spoc"])
        html = later.get(mine).get_data(as_text=True)
        overdue = html.split('<h2 class="govuk-heading-m">Due today')[0]
        assert "Maureen Tallis" in overdue and "Overdue</strong>" in overdue
        assert "24 November 2026 at 10:00am" in overdue
        # Another hub's person: the same 404 as no hub at all.
        other = app.test_client()
        other.sign_in(web.email["other_hub"])
        assert other.get(mine).status_code == 404


def test_the_tab_and_my_victims_cost_the_same_queries_however_many_victims(app, client, web):
    def add(n):
        with time_machine.travel(at("2026-11-23T09:00"), tick=False), app.app_context():
            case = db.session.get(Case, web.case_id)
            spoc = db.session.execute(select(User).where(User.email == web.email["spoc"])).scalar()
            for i in range(n):
                victim = records.add_victim(case, dict(VICTIM, name=f"Victim {i}"), actor=spoc)
                contacts.record_contact(
                    case, victim, dict(CALL, contact_time="08:30", next_on="2026-11-24"), actor=spoc
                )
            db.session.commit()

    def cost(path):
        with app.app_context():
            engine = db.engine
        with (
            time_machine.travel(at("2026-11-24T08:00"), tick=False),
            count_queries(engine) as statements,
        ):
            assert client.get(path).status_code == 200
        return len(statements)

    with time_machine.travel(at("2026-11-24T08:00"), tick=False):
        client.sign_in(web.email["spoc"])
    add(1)
    tab, mine = f"/cases/{web.case_id}/victim", f"/hubs/{web.hub_slug}/my-victims"
    first = cost(tab), cost(mine)
    add(5)
    assert (cost(tab), cost(mine)) == first


def test_a_spoc_finds_my_victims_in_the_menu(client, web):
    client.sign_in(web.email["spoc"])
    home = client.get("/").get_data(as_text=True)
    assert 'href="/my-victims"' in home
    assert (
        client.get("/my-victims").headers["Location"].endswith(f"/hubs/{web.hub_slug}/my-victims")
    )
    other = client.application.test_client()
    other.sign_in(web.email["case_worker"])
    assert 'href="/my-victims"' not in other.get("/").get_data(as_text=True)


def test_the_closing_question_feeds_the_evaluation(app, client, web):
    tab = f"/cases/{web.case_id}/victim"
    answer = f"/cases/{web.case_id}/victims/{web.victim_id}/satisfaction"
    client.sign_in(web.email["spoc"])
    early = client.submit(answer, {"satisfaction": "satisfied"}, token_from=tab)
    assert early.status_code == 400  # not while the case is still active
    assert "Ask once the case is being evaluated or is closed" in early.get_data(as_text=True)
    with app.app_context():
        case = db.session.get(Case, web.case_id)
        case.stage = "evaluation"
        spoc = db.session.execute(select(User).where(User.email == web.email["spoc"])).scalar_one()
        case.lead_agency_id = spoc.agency_id
        db.session.commit()
    assert "How satisfied is Maureen Tallis?" in client.get(tab).get_data(as_text=True)
    assert client.submit(answer, {"satisfaction": "nonsense"}, token_from=tab).status_code == 400
    assert client.submit(answer, {"satisfaction": "satisfied"}, token_from=tab).status_code == 302
    evaluation = client.get(f"/cases/{web.case_id}/evaluation").get_data(as_text=True)
    assert "Victims' satisfaction (the closing question): 1 satisfied." in evaluation
    # A new evaluation starts from the victim's answer, on its own five-point scale.
    assert '<option value="4" selected>4 – Satisfied</option>' in evaluation
    fire = app.test_client()
    fire.sign_in(web.email["fire"])
    page = fire.get(f"/cases/{web.case_id}/evaluation").get_data(as_text=True)
    assert "Victims' satisfaction" not in page
