"""Victims and their SPoCs: the Victim tab, every form on it, and "My victims".

The Victim tab is a tab of the case: whoever may read the case reaches it (200), and an agency
whose ISA lacks victim contact (lacks_category) is shown why instead of the victims, its
refusal audited. Every write needs victim contact covered for writing (policy write_victims):
others get the same 404 as a missing case. A victim on another case, through this case's URL,
is a 404 for everyone. "My victims" is for anyone in the hub whose role works cases.
"""

from hub.models import Victim
from hub.victims import records
from tests.authz import Route, expect
from tests.support.factories import make_case

READERS = ("member", "lacks_category", "coordinator", "hub_manager")
WRITERS = ("member", "coordinator", "hub_manager")


def only(status: int, who=WRITERS, **overrides: int) -> dict[str, int]:
    return expect(404, anonymous=302, **({p: status for p in who} | overrides))


NEEDS = {
    "name": "Agnes Fell",
    "preferred_channel": "phone",
    "phone": "01946 555 0199",
    "safe_to_leave_message": "no",
}


def setup(m) -> dict:
    """A victim on the matrix case (the hub manager's agency, the council, keeps it) and one on
    a second case in the hub."""
    victim = records.add_victim(m.case, dict(NEEDS), actor=m.users["hub_manager"])
    other = make_case(m.hub, "MTX-V2", m.agencies["council"], m.agencies["housing"])
    foreign = records.add_victim(other, dict(NEEDS, name="Bert Fell"), actor=m.users["hub_manager"])
    assert isinstance(victim, Victim)
    return {"victim_id": victim.id, "foreign_victim_id": foreign.id}


BASE = "/cases/{case_id}/victims/{victim_id}"
FOREIGN = "/cases/{case_id}/victims/{foreign_victim_id}"
CONTACT = {
    "contact_on": "2026-01-05",
    "contact_time": "09:00",
    "channel": "phone",
    "outcome": "no_answer",
}
CALL_BACK = {"due_on": "2030-01-07", "due_time": "10:00"}
TOLD = {"milestone": "case_opened", "channel": "phone"}

ROUTES = [
    # No persona of the matrix is a SPoC: the menu's shortcut is for SPoCs only.
    Route("victims.mine_home", "GET", "/my-victims", expect=expect(404, anonymous=302)),
    Route("victims.case_tab", "GET", "/cases/{case_id}/victim", expect=only(200, READERS)),
    Route("victims.add", "POST", "/cases/{case_id}/victims", expect=only(302), data=NEEDS),
    Route("victims.edit", "GET", BASE + "/edit", expect=only(200)),
    Route("victims.edit", "POST", BASE + "/edit", expect=only(302), data=dict(NEEDS, version="1")),
    Route("victims.record_contact", "POST", BASE + "/contacts", expect=only(302), data=CONTACT),
    Route("victims.schedule", "POST", BASE + "/call-back", expect=only(302), data=CALL_BACK),
    Route("victims.told", "POST", BASE + "/told", expect=only(302), data=TOLD),
    Route("victims.edit", "GET", FOREIGN + "/edit", expect=expect(404, anonymous=302)),
    Route(
        "victims.mine",
        "GET",
        "/hubs/{hub_slug}/my-victims",
        expect=expect(
            404,
            anonymous=302,
            member=200,
            non_member=200,
            expired_isa=200,
            lacks_category=200,
            coordinator=200,
            hub_manager=200,
        ),
    ),
]

# The matrix's victim has no answer on letters: a writer is sent back to the tab, told why.
ROUTES.append(
    Route("victims.letter", "GET", BASE + "/letters/update", expect=only(302)),
)

# The hub's call-back cadence: its hub managers (and system administrators).
CADENCE = {"critical_days": "2", "high_days": "5", "medium_days": "10", "standard_days": "20"}
ROUTES += [
    Route(
        "victims.settings",
        "GET",
        "/hubs/{hub_slug}/victims/settings",
        expect=expect(404, anonymous=302, hub_manager=200, sysadmin=200),
    ),
    Route(
        "victims.settings",
        "POST",
        "/hubs/{hub_slug}/victims/settings",
        expect=expect(404, anonymous=302, hub_manager=302, sysadmin=302),
        data=CADENCE,
    ),
]

# The closing question is for a case being evaluated or closed: a writer of an active case is
# told why (400).
ROUTES.append(
    Route(
        "victims.satisfaction",
        "POST",
        BASE + "/satisfaction",
        expect=only(400),
        data={"satisfaction": "satisfied"},
    )
)

# The matrix's victim prefers the phone: a writer is sent back to the tab, told nothing was sent.
ROUTES.append(
    Route("victims.email_letter", "POST", BASE + "/letters/update/email", expect=only(302))
)
