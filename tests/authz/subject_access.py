"""Right of access: only the hub's data protection officer (no matrix persona holds that role;
tests/sharing/test_subject_access.py covers the officer) may search or export."""

from tests.authz import Route, expect

ONLY_THE_OFFICER = expect(404, anonymous=302)

ROUTES = [
    Route(
        "subject_access.search",
        "GET",
        "/hubs/{hub_slug}/subject-access?name=William+Hartley",
        ONLY_THE_OFFICER,
    ),
    Route(
        "subject_access.export",
        "POST",
        "/hubs/{hub_slug}/subject-access/export",
        ONLY_THE_OFFICER,
        data={"person": "1"},
    ),
]
