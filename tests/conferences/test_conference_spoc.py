"""The case's SPoC confirmed or changed at conference, as a decision (issue 14): written into
the case through casework, chosen from the case's member agencies' people, shown in the
minutes, and audited with ids only."""

from datetime import timedelta

from flask import g
from sqlalchemy import select

from hub.conferences import minutes
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import Activity, AuditEntry, CallBack, Case, User, Victim
from tests.conferences.test_conference_running import decide, post_decision, refused
from tests.conferences.test_conference_running import served as served  # noqa: F401 (fixture)
from tests.conferences.test_conference_running import setting as setting  # noqa: F401
from tests.support.factories import make_isa


def test_the_spoc_is_confirmed_then_changed_and_shown_in_the_minutes(setting):
    s = setting
    spoc = db.session.get(User, s.world.user_id["spoc"])  # council: a member of the case
    referrer = db.session.get(User, s.world.user_id["referrer"])  # council too
    s.case.spoc_user_id = spoc.id
    db.session.flush()
    confirmed = decide(s, "case", "spoc", spoc_user_id=spoc.id)
    assert confirmed.summary == f"SPoC confirmed: {spoc.name}, Copeland Borough Council"
    changed = decide(s, "case", "spoc", spoc_user_id=str(referrer.id))
    assert s.case.spoc_user_id == referrer.id
    assert changed.summary == (
        f"SPoC changed to {referrer.name}, Copeland Borough Council "
        f"(was {spoc.name}, Copeland Borough Council)"
    )
    assert changed.details == {"before": spoc.id, "after": referrer.id}
    entries = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "case_spoc_agreed").order_by(AuditEntry.id)
    ).scalars()
    assert [(e.details["changed"], e.details["after"]["spoc_user_id"]) for e in entries] == [
        (False, spoc.id),
        (True, referrer.id),
    ]
    assert (
        db.session.execute(
            select(Activity).where(Activity.case_id == s.case.id, Activity.kind == "case_updated")
        )
        .scalars()
        .all()
    )
    shown = minutes.build_minutes(s.chair, s.conference)
    row = next(i for i in shown.items if i.reference == "CPL-RUN-1")
    assert [d.kind for d in row.decisions] == ["spoc", "spoc"]


def test_a_spoc_from_outside_the_case_or_none_is_refused(setting):
    s = setting
    outsider = db.session.get(User, s.world.user_id["case_worker"])  # housing: not a member
    messages = refused(s, lambda: decide(s, "case", "spoc", spoc_user_id=outsider.id))
    assert messages == {"spoc_user_id": ["Choose a SPoC from one of the case's member agencies"]}
    assert refused(s, lambda: decide(s, "case", "spoc")) == {"spoc_user_id": ["Choose the SPoC"]}


def test_the_chair_confirms_the_spoc_on_the_live_page(app, client, served):
    s = served
    client.sign_in(s.email["coordinator"])
    page = client.get(f"/conferences/{s.conference}/live?item={s.items['case']}")
    html = page.get_data(as_text=True)
    assert "Confirm or change the SPoC" in html and 'name="spoc_user_id"' in html
    with app.app_context():
        spoc = db.session.execute(select(User).where(User.email == s.email["spoc"])).scalar_one()
        spoc_id = spoc.id
    response = post_decision(app, client, s, "case", kind="spoc", spoc_user_id=spoc_id)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Case, s.case).spoc_user_id == spoc_id
    bad = post_decision(app, client, s, "case", kind="spoc", spoc_user_id="nobody")
    assert bad.status_code == 400 and 'href="#spoc-spoc_user_id"' in bad.get_data(as_text=True)


def test_a_changed_spoc_takes_over_the_victims_and_their_call_backs(setting):
    s = setting
    # The referrer kept her until now; the council's SPoC takes over.
    old = db.session.get(User, s.world.user_id["referrer"])
    new = db.session.get(User, s.world.user_id["spoc"])
    council = s.agencies["council"]
    s.case.spoc_user_id = old.id
    victim = Victim(
        case_id=s.case.id,
        name="Maureen Tallis",
        category="victim_contact",
        origin_agency_id=council.id,
        spoc_user_id=old.id,
    )
    db.session.add(victim)
    db.session.flush()
    call_back = CallBack(
        case_id=s.case.id,
        victim_id=victim.id,
        spoc_user_id=old.id,
        due_at=utcnow() + timedelta(days=2),
        category="victim_contact",
        origin_agency_id=council.id,
    )
    db.session.add(call_back)
    db.session.flush()
    # The hub's agreement does not cover victim contact yet: no one could keep her.
    messages = refused(s, lambda: decide(s, "case", "spoc", spoc_user_id=new.id))
    assert "cannot keep all of this case's victims" in messages["spoc_user_id"][0]
    make_isa(s.case.hub, [council], ["victim_contact"], reference="ISA-RUN-V")
    g.pop("_s115_cache", None)  # agreements are remembered for the rest of a request
    d = decide(s, "case", "spoc", spoc_user_id=new.id)
    assert d.summary.endswith("; 1 victim handed over")
    assert (victim.spoc_user_id, call_back.spoc_user_id) == (new.id, new.id)
    moved = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "victims_handed_over")
    ).scalar_one()
    assert moved.details == {
        "before": {"spoc_user_id": old.id},
        "after": {"spoc_user_id": new.id},
        "count": 1,
    }
