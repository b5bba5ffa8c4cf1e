"""Every route in the URL map and every API operation, as every persona: allowed or denied
exactly as declared in tests/authz/ (see its docstring for the format)."""

import importlib
import pkgutil

from hub.extensions import db
from tests import authz
from tests.authz import PERSONAS, Route
from tests.authz.world import build_matrix_world
from tests.support.factories import PASSWORD

IGNORED_METHODS = {"HEAD", "OPTIONS"}

# The routes whose real policy is "anyone signed in": what they show or change is the person's
# own (their account and tokens, notifications, the referrals their agency sent, filtered in
# SQL), or the hub is named in the request's body and intake refuses it with a field error.
# Every other route names a policy that decides on the hub, case, conference, referral or
# person it is about (hub/permissions.py), so this matrix and the route say the same thing.
SIGNED_IN_ONLY = {
    "main.home",
    "auth.sign_out",
    "account.show",
    "account.create_token",
    "account.revoke_token",
    # A person's own sessions, password and second factor (each service checks the owner).
    "account.end_session",
    "account.end_all_sessions",
    "account.two_factor_setup",
    "account.new_recovery_codes",
    "account.turn_off_two_factor",
    "account.change_password",
    "api_v1.me",
    "api_referrals.create",
    "api_referrals.index",
    "cases.notifications",
    "cases.mark_notifications_read",
}


def area_modules():
    for info in pkgutil.iter_modules(authz.__path__):
        if info.name != "world":
            yield importlib.import_module(f"tests.authz.{info.name}")


def declared_routes() -> list[Route]:
    return [r for module in area_modules() for r in getattr(module, "ROUTES", [])]


def test_every_route_and_api_operation_is_declared(app):
    declared = {(r.endpoint, r.method) for r in declared_routes()}
    missing = sorted(
        (rule.endpoint, method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - IGNORED_METHODS
        if (rule.endpoint, method) not in declared
    )
    assert missing == [], f"routes with no authorisation expectations in tests/authz: {missing}"
    # The OpenAPI document names each operation by its path template (with the /api/v1
    # prefix and Flask's variable names): declare API routes with the same template.
    paths = app.extensions["hub_api"].spec.to_dict()["paths"]
    declared_api = {(r.path, r.method) for r in declared_routes() if r.api}
    undeclared = [
        (path, method.upper())
        for path, operations in paths.items()
        for method in operations
        if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}
        and (path, method.upper()) not in declared_api
    ]
    assert undeclared == [], f"API operations with no declared expectations: {undeclared}"


def test_routes_declare_their_real_policy(app):
    policies = {
        rule.endpoint: getattr(app.view_functions[rule.endpoint], "hub_policy", None)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
    }
    only_signed_in = sorted(e for e, policy in policies.items() if policy == "signed_in")
    assert only_signed_in == sorted(SIGNED_IN_ONLY)


def test_declarations_name_real_routes(app):
    real = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - IGNORED_METHODS
    }
    stale = [
        (r.endpoint, r.method) for r in declared_routes() if (r.endpoint, r.method) not in real
    ]
    assert stale == [], f"declarations for routes that do not exist: {stale}"


def _fill(value, params):
    if isinstance(value, str):
        return value.format(**params)
    if isinstance(value, dict):
        return {k: _fill(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, params) for v in value]
    return value


def test_authorisation_matrix(app, _transaction):
    connection = _transaction
    with app.app_context():
        m = build_matrix_world()
        params = dict(m.params)
        for module in area_modules():
            if hasattr(module, "setup"):
                params.update(module.setup(m) or {})
        tokens = dict(m.tokens)
        emails = {p: u.email for p, u in m.users.items()}
        db.session.commit()

    from tests.conftest import HubClient

    app.test_client_class = HubClient
    clients, csrf = {}, {}
    for persona in PERSONAS:
        client = app.test_client()
        if persona != "anonymous":
            client.sign_in(emails[persona], PASSWORD)
            csrf[persona] = client.csrf_token("/account/")
        else:
            csrf[persona] = client.csrf_token("/sign-in")
        clients[persona] = client

    failures = []
    for route in declared_routes():
        path = _fill(route.path, params)
        for persona in PERSONAS:
            client = clients[persona]
            cookies = dict(client._cookies)
            savepoint = connection.begin_nested()
            try:
                kwargs = {}
                if route.api:
                    if persona != "anonymous":
                        kwargs["headers"] = {"Authorization": f"Bearer {tokens[persona]}"}
                    if route.json is not None:
                        kwargs["json"] = _fill(route.json, params)
                elif route.method != "GET":
                    kwargs["data"] = {
                        **_fill(route.data or {}, params),
                        "csrf_token": csrf[persona],
                    }
                response = client.open(path, method=route.method, **kwargs)
            finally:
                savepoint.rollback()
                client._cookies.clear()
                client._cookies.update(cookies)
            want = route.expect[persona]
            got = response.status_code
            if got != want:
                failures.append(f"{route.method} {path} as {persona}: {got}, expected {want}")
            elif persona == "anonymous" and got == 302 and route.endpoint != "auth.sign_out":
                location = response.headers.get("Location", "")
                if "/sign-in" not in location:
                    failures.append(f"{route.method} {path} as anonymous: redirects to {location}")
    assert failures == [], "\n".join(failures)
