"""Referrals: the question flow and drafts, one referral, the triage queue and decision, and
/api/v1/referrals.

The rules (hub/permissions.py, "referrals"): any user with a role in a hub whose agency is a
partner of it may refer to it; a submitted referral is seen by its referring agency and by the
hub's coordinators and hub managers (who triage it); a draft only by its author.

In the matrix world the submitted referral and the draft come from the member persona (a case
worker of Matrix Housing, which nobody else's agency is), so exactly the member, the
coordinator and the hub manager see the referral, and only the member the draft. The system
administrator has no role in a hub, so may neither refer nor triage.
"""

import copy

from referrals import intake
from tests.authz import Route, expect
from tests.support.referral_data import VALID

# Everyone with a role in a hub whose agency is a partner of it may refer (to that hub): the
# matrix hub's eight personas, and the other hub's manager (to their own hub).
REFERRERS = {
    p: 200
    for p in (
        "member",
        "non_member",
        "expired_isa",
        "lacks_category",
        "referrer",
        "analyst",
        "coordinator",
        "hub_manager",
        "other_hub",
    )
}
REFERRER_PAGE = expect(404, anonymous=302, **REFERRERS)
# May refer to the matrix hub: everyone above but the other hub's manager.
MATRIX_REFERRERS = [p for p in REFERRERS if p != "other_hub"]
# The draft: its author only.
AUTHOR_PAGE = expect(404, anonymous=302, member=200)
AUTHOR_WRITE = expect(404, anonymous=302, member=302)
# The submitted referral: the referring agency (the member's), the hub's coordinators and
# hub managers.
SEES_REFERRAL = {"member": 200, "coordinator": 200, "hub_manager": 200}
# Triage: coordinators and hub managers of the referral's hub.
TRIAGERS = {"coordinator": 200, "hub_manager": 200}


def _payload(hub_slug: str) -> dict:
    data = copy.deepcopy(VALID)
    data["hub"] = hub_slug
    return data


def setup(m) -> dict:
    member = m.users["member"]
    submitted, _ = intake.submit_referral(_payload(m.hub.slug), user=member)
    draft_values = {k: v for k, v in _payload(m.hub.slug).items() if k != "hub"}
    draft = intake.save_draft(member, m.hub, draft_values)
    return {"referral_id": submitted.id, "draft_id": draft.id}


ROUTES = [
    # -- "My referrals" and the question flow (a draft, saved page by page) -------------------
    Route("referrals.index", "GET", "/referrals/", REFERRER_PAGE),
    Route("referrals.new", "GET", "/referrals/new", REFERRER_PAGE),
    Route(
        "referrals.new",
        "POST",
        "/referrals/new",
        # A draft is made and the flow goes on to "what". The other hub's manager names a hub
        # they cannot refer to: a field error, never a draft quietly made in their own hub.
        expect(404, anonymous=302, other_hub=400, **{p: 302 for p in MATRIX_REFERRERS}),
        data={"hub": "{hub_slug}", "about": "person", "category": "personal"},
    ),
    Route("referrals.step", "GET", "/referrals/{draft_id}/what", AUTHOR_PAGE),
    Route(
        "referrals.step",
        "POST",
        "/referrals/{draft_id}/what",
        AUTHOR_WRITE,
        data={
            "summary": "Older man targeted by youths",
            "description": "Youths gather outside his flat and bang on the door at night.",
            "first_incident_on-day": "1",
            "first_incident_on-month": "8",
            "first_incident_on-year": "2026",
            "incident_count": "12",
        },
    ),
    Route("referrals.people", "GET", "/referrals/{draft_id}/people", AUTHOR_PAGE),
    Route(
        "referrals.people",
        "POST",
        "/referrals/{draft_id}/people",
        AUTHOR_WRITE,
        data={
            "action": "add",
            "role": "witness",
            "name": "Margaret Ellis",
            "date_of_birth-day": "14",
            "date_of_birth-month": "6",
            "date_of_birth-year": "1971",
        },
    ),
    Route("referrals.remove_person", "POST", "/referrals/{draft_id}/people/1/remove", AUTHOR_WRITE),
    Route("referrals.check", "GET", "/referrals/{draft_id}/check", AUTHOR_PAGE),
    # The one-time form token lives in the author's session (issued by the GET above, which the
    # matrix does not carry over), so the author's POST is redirected back to check the answers
    # without sending; sending itself is tested in tests/referrals/test_referrals_web.py.
    Route("referrals.check", "POST", "/referrals/{draft_id}/check", AUTHOR_WRITE),
    Route("referrals.delete", "POST", "/referrals/{draft_id}/delete", AUTHOR_WRITE),
    # -- one referral --------------------------------------------------------------------------
    Route(
        "referrals.show",
        "GET",
        "/referrals/{referral_id}",
        expect(404, anonymous=302, **SEES_REFERRAL),
    ),
    # -- triage --------------------------------------------------------------------------------
    # The queue: anyone who triages some hub (the other hub's manager sees their own hub's).
    Route("triage.queue", "GET", "/triage/", expect(404, anonymous=302, other_hub=200, **TRIAGERS)),
    Route("triage.decide", "GET", "/triage/{referral_id}", expect(404, anonymous=302, **TRIAGERS)),
    Route(
        "triage.decide",
        "POST",
        "/triage/{referral_id}",
        expect(404, anonymous=302, coordinator=302, hub_manager=302),
        data={"decision": "declined", "reason": "Not antisocial behaviour: a civil dispute"},
    ),
    # -- the API -------------------------------------------------------------------------------
    Route(
        "api_referrals.create",
        "POST",
        "/api/v1/referrals",
        # Refusing a hub you may not refer to is the same 422 ("hub") as an unknown hub's.
        expect(422, anonymous=401, **{p: 201 for p in MATRIX_REFERRERS}),
        json=_payload("{hub_slug}"),
        api=True,
    ),
    Route("api_referrals.index", "GET", "/api/v1/referrals", expect(200, anonymous=401), api=True),
    Route(
        "api_referrals.show",
        "GET",
        "/api/v1/referrals/{referral_id}",
        expect(404, anonymous=401, **SEES_REFERRAL),
        api=True,
    ),
]
