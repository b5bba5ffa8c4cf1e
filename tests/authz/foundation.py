"""The foundation's routes: home, health check, the administration pages and the API.
Signing in and out and your account are in accounts.py."""

from tests.authz import SIGNED_IN, Route, expect

ADMINS = {"hub_manager": 200, "other_hub": 200, "sysadmin": 200}  # the user_admin policy
SYSADMIN_ONLY = expect(404, anonymous=302, sysadmin=200)
HUB_ADMIN_PAGE = expect(404, anonymous=302, hub_manager=200, sysadmin=200)
HUB_ADMIN_WRITE = expect(404, anonymous=302, hub_manager=302, sysadmin=302)


ROUTES = [
    Route("main.home", "GET", "/", SIGNED_IN),
    Route("main.healthz", "GET", "/healthz", expect(200)),
    Route("admin.index", "GET", "/admin/", expect(404, anonymous=302, **ADMINS)),
    Route("admin.hubs", "GET", "/admin/hubs", SYSADMIN_ONLY),
    Route(
        "admin.hubs",
        "POST",
        "/admin/hubs",
        expect(404, anonymous=302, sysadmin=302),
        data={"name": "Matrix New Hub", "slug": "matrix-new"},
    ),
    Route("admin.agencies", "GET", "/admin/agencies", SYSADMIN_ONLY),
    Route(
        "admin.agencies",
        "POST",
        "/admin/agencies",
        expect(404, anonymous=302, sysadmin=302),
        data={"name": "Matrix New Agency", "kind": "fire"},
    ),
    Route("admin.hub", "GET", "/admin/hubs/{hub_slug}", HUB_ADMIN_PAGE),
    Route("admin.scoring", "GET", "/admin/hubs/{hub_slug}/scoring", HUB_ADMIN_PAGE),
    Route(
        "admin.scoring",
        "POST",
        "/admin/hubs/{hub_slug}/scoring",
        expect(404, anonymous=302, hub_manager=400, sysadmin=400),
        # The default rules, bad on purpose (no version): refused with a message, 400.
        data={"action": "preview", "ruleset": "[]"},
    ),
    # The hub's retention: its managers and data protection officer (no matrix persona holds
    # that role: tests/lifecycle/test_retention_page.py covers the officer).
    Route("admin.retention", "GET", "/admin/hubs/{hub_slug}/retention", HUB_ADMIN_PAGE),
    Route(
        "admin.retention",
        "POST",
        "/admin/hubs/{hub_slug}/retention",
        HUB_ADMIN_WRITE,
        data={"version": "0", "health": "36"}
        | {key: "72" for key in ("identity", "incident", "police_intelligence", "housing")}
        | {"safeguarding": "72", "victim_contact": "72", "not_taken_on": "12"},
    ),
    Route(
        "admin.add_hub_agency",
        "POST",
        "/admin/hubs/{hub_slug}/agencies",
        HUB_ADMIN_WRITE,
        data={"agency_id": "{elsewhere_agency_id}"},
    ),
    Route(
        "admin.lesson_sharing",
        "POST",
        "/admin/hubs/{hub_slug}/lessons-sharing",
        HUB_ADMIN_WRITE,
        data={"shares_lessons": "yes"},
    ),
    Route(
        "admin.remove_hub_agency",
        "POST",
        "/admin/hubs/{hub_slug}/agencies/{spare_agency_id}/remove",
        HUB_ADMIN_WRITE,
    ),
    Route("admin.users", "GET", "/admin/users", expect(404, anonymous=302, **ADMINS)),
    Route("admin.new_user", "GET", "/admin/users/new", expect(404, anonymous=302, **ADMINS)),
    Route(
        "admin.new_user",
        "POST",
        "/admin/users/new",
        # Another hub's manager may add people, but not to this hub's agencies.
        expect(404, anonymous=302, hub_manager=302, sysadmin=302, other_hub=400),
        data={"name": "New Person", "email": "new@matrix.example", "agency_id": "{agency_id}"},
    ),
    Route("admin.user", "GET", "/admin/users/{user_id}", HUB_ADMIN_PAGE),
    Route(
        "admin.grant_role",
        "POST",
        "/admin/users/{user_id}/roles",
        HUB_ADMIN_WRITE,
        data={"role": "spoc", "hub_id": "{hub_id}"},
    ),
    Route(
        "admin.revoke_role",
        "POST",
        "/admin/users/{user_id}/roles/{role_id}/remove",
        HUB_ADMIN_WRITE,
    ),
    Route(
        "admin.set_active",
        "POST",
        "/admin/users/{user_id}/active",
        HUB_ADMIN_WRITE,
        data={"active": "no"},
    ),
    Route(
        "admin.send_password_link", "POST", "/admin/users/{user_id}/password-link", HUB_ADMIN_WRITE
    ),
    # The API: bearer tokens only; the OpenAPI document is public and holds no data.
    Route("api-docs.openapi_json", "GET", "/api/v1/openapi.json", expect(200)),
    Route("api_v1.me", "GET", "/api/v1/me", expect(200, anonymous=401), api=True),
]
