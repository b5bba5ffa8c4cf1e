"""Letters to victims: plain English, filled from the case, printable on A4, and nothing
partner-only in them. The SPoC's agency (the council) may read every record on this case,
police intelligence and a restricted record among them; none of it may reach a letter."""

from datetime import date

from sqlalchemy import select

from hub.extensions import db
from hub.models import AuditEntry, Case, CaseNote, Intervention, RecordRestriction, User, Victim

TAB = "/cases/{case_id}/victim"


def _intervention(case, agency_id, user_id, kind, category, subject, restricted=False):
    row = Intervention(
        case_id=case.id,
        type=kind,
        issuing_officer="PC Ruth Hale",
        subject=subject,
        conditions="Not to enter Lowther Street",
        served_on=date(2026, 11, 20),
        category=category,
        origin_agency_id=agency_id,
        recorded_by_id=user_id,
        restricted=restricted,
    )
    db.session.add(row)
    db.session.flush()
    return row


def test_no_restricted_record_or_police_intelligence_reaches_a_letter(app, client, web):
    with app.app_context():
        case = db.session.get(Case, web.case_id)
        coordinator = db.session.execute(
            select(User).where(User.email == web.email["coordinator"])
        ).scalar_one()
        worker = db.session.execute(
            select(User).where(User.email == web.email["case_worker"])
        ).scalar_one()
        council_id = db.session.get(Victim, web.victim_id).origin_agency_id
        _intervention(
            case,
            worker.agency_id,
            worker.id,
            "acceptable_behaviour_contract",
            "incident",
            "Flat 12",
        )
        restricted = _intervention(
            case, web.police_id, coordinator.id, "civil_injunction", "incident", "Gary Fisher", True
        )
        db.session.add(
            RecordRestriction(
                record_type="intervention", record_id=restricted.id, agency_id=council_id
            )
        )
        _intervention(
            case,
            web.police_id,
            coordinator.id,
            "closure_notice",
            "police_intelligence",
            "Known drug supply at Flat 12",
        )
        db.session.add(
            CaseNote(
                case_id=case.id,
                body="Intelligence: Fisher is linked to a county line",
                category="police_intelligence",
                origin_agency_id=web.police_id,
                author_id=coordinator.id,
            )
        )
        db.session.commit()
    client.sign_in(web.email["spoc"])
    tab = client.get(TAB.format(case_id=web.case_id)).get_data(as_text=True)
    # The SPoC may read all three powers on the Victim tab's own list of steps...
    assert "Civil injunction used" in tab and "Closure notice used" in tab
    letter = client.get(f"/cases/{web.case_id}/victims/{web.victim_id}/letters/update")
    assert letter.status_code == 200
    html = letter.get_data(as_text=True)
    # ...but a letter carries only the unrestricted incident record.
    assert "Acceptable behaviour contract used" in html
    for secret in (
        "Civil injunction",
        "Closure notice",
        "Gary Fisher",
        "county line",
        "drug supply",
        "Not to enter",
        "PC Ruth Hale",
    ):
        assert secret not in html, secret
    assert "Maureen Tallis" in html and "14 Lowther Street, Whitehaven" in html
    assert "CPL-V1" in html and "css/victim_letter.css" in html
    with app.app_context():
        made = db.session.execute(
            select(AuditEntry.details).where(AuditEntry.action == "victim_letter_made")
        ).scalar_one()
    assert made == {"case_id": web.case_id, "kind": "update"}


def test_the_introduction_and_closing_letters_speak_plainly(client, web):
    client.sign_in(web.email["spoc"])
    intro = client.get(f"/cases/{web.case_id}/victims/{web.victim_id}/letters/introduction")
    text = intro.get_data(as_text=True)
    assert "I am your single point of contact" in text
    assert "every 5 working days" in text  # the high band's cadence
    closing = client.get(f"/cases/{web.case_id}/victims/{web.victim_id}/letters/closure")
    assert "how satisfied are you" in closing.get_data(as_text=True)


def test_no_letter_for_a_victim_whose_record_does_not_say_a_letter_is_safe(app, client, web):
    with app.app_context():
        victim = db.session.get(Victim, web.victim_id)
        victim.safe_to_send_letter = None
        db.session.commit()
    client.sign_in(web.email["spoc"])
    refused = client.get(f"/cases/{web.case_id}/victims/{web.victim_id}/letters/update")
    assert refused.status_code == 302
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "does not say a letter is safe" in page
    assert "Letters to print" not in page


def test_an_update_is_emailed_to_a_victim_who_prefers_email_and_its_steps_are_told(
    app, client, web, outbox
):
    send = f"/cases/{web.case_id}/victims/{web.victim_id}/letters/update/email"
    tab = TAB.format(case_id=web.case_id)
    client.sign_in(web.email["spoc"])
    refused = client.submit(send, {}, token_from=tab)  # Maureen prefers the phone
    assert refused.status_code == 302
    assert outbox == []
    assert "nothing was sent" in client.get(refused.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        victim = db.session.get(Victim, web.victim_id)
        victim.preferred_channel, victim.email = "email", "maureen.tallis@example.org"
        db.session.commit()
    assert "Email the update" in client.get(tab).get_data(as_text=True)
    sent = client.submit(send, {}, token_from=tab)
    assert sent.status_code == 302
    (email,) = outbox
    assert email["To"] == "maureen.tallis@example.org"
    body = email.get_content()
    assert "Dear Maureen Tallis" in body and "The partners opened a case." in body
    page = client.get(tab).get_data(as_text=True)
    assert "Told</strong>" in page and "by email" in page
    client.submit(send, {}, token_from=tab)  # sent again: nothing more to record
    with app.app_context():
        counts = (
            db.session.execute(
                select(AuditEntry.details).where(AuditEntry.action == "victim_letter_emailed")
            )
            .scalars()
            .all()
        )
    assert [d["count"] for d in counts] == [1, 0]
