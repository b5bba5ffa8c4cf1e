"""Section 115 administration: agreements, case membership, disclosure register, audit log."""

from tests.authz import Route, expect

MANAGERS_PAGE = expect(404, anonymous=302, hub_manager=200, sysadmin=200)
MANAGERS_WRITE = expect(404, anonymous=302, hub_manager=302, sysadmin=302)
MEMBERSHIP_PAGE = expect(404, anonymous=302, hub_manager=200, coordinator=200, sysadmin=200)
MEMBERSHIP_WRITE = expect(404, anonymous=302, hub_manager=302, coordinator=302, sysadmin=302)
# The register: the hub manager (all rows) and readers in agencies on the case (their rows).
REGISTER = expect(
    404,
    anonymous=302,
    hub_manager=200,
    sysadmin=200,
    member=200,
    coordinator=200,
    expired_isa=200,
    lacks_category=200,
)

ISA_FORM = {
    "reference": "MATRIX-NEW",
    "title": "A new agreement",
    "purpose": "Reducing antisocial behaviour",
    "legal_basis": "s115 Crime and Disorder Act 1998",
    "status": "draft",
    "starts_on-day": "1",
    "starts_on-month": "4",
    "starts_on-year": "2026",
    "categories": "identity",
}

ROUTES = [
    Route("sharing.isa_list", "GET", "/hubs/{hub_slug}/isas", MANAGERS_PAGE),
    Route("sharing.isa_new", "GET", "/hubs/{hub_slug}/isas/new", MANAGERS_PAGE),
    Route("sharing.isa_new", "POST", "/hubs/{hub_slug}/isas/new", MANAGERS_WRITE, data=ISA_FORM),
    Route("sharing.isa_show", "GET", "/hubs/{hub_slug}/isas/{isa_id}", MANAGERS_PAGE),
    Route("sharing.isa_history", "GET", "/hubs/{hub_slug}/isas/{isa_id}/history", MANAGERS_PAGE),
    Route("sharing.isa_edit", "GET", "/hubs/{hub_slug}/isas/{isa_id}/edit", MANAGERS_PAGE),
    Route(
        "sharing.isa_edit",
        "POST",
        "/hubs/{hub_slug}/isas/{isa_id}/edit",
        MANAGERS_WRITE,
        data={**ISA_FORM, "version": "1"},
    ),
    Route("sharing.members", "GET", "/cases/{case_id}/members", MEMBERSHIP_PAGE),
    Route(
        "sharing.add_member",
        "POST",
        "/cases/{case_id}/members",
        MEMBERSHIP_WRITE,
        data={"agency_id": "{agency_id}", "route": "triage", "reason": "Fire safety visit"},
    ),
    Route(
        "sharing.remove_member",
        "POST",
        "/cases/{case_id}/members/{membership_id}/remove",
        MEMBERSHIP_WRITE,
        data={"reason": "No longer needed"},
    ),
    Route("sharing.disclosures", "GET", "/cases/{case_id}/disclosures", REGISTER),
    Route("audit_log.view", "GET", "/hubs/{hub_slug}/audit", MANAGERS_PAGE),
    Route("audit_log.export", "GET", "/hubs/{hub_slug}/audit.csv", MANAGERS_PAGE),
]
