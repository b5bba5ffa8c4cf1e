"""The JSON API under /api/v1: bearer tokens only (never the browser session), JSON errors,
an OpenAPI document generated from the marshmallow schemas."""

from flask import Flask, current_app, g, request
from flask_login import current_user
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields

from hub.accounts import tokens
from hub.blueprints import api_referrals
from hub.core.errors import api_error
from hub.core.security import hash_token
from hub.extensions import csrf, limiter
from hub.permissions import requires


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"example": "not_found"})
    message = fields.String(required=True)
    field_messages = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        metadata={"description": "field name: its messages, where fields were refused"},
    )


class ErrorSchema(Schema):
    """The one shape of every error (hub.core.errors.api_error)."""

    error = fields.Nested(ErrorDetailSchema, required=True)


class HubApi(Api):
    """flask-smorest, with errors left to hub.core.errors so every error has one JSON shape,
    and the OpenAPI document describing that shape."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        pass


bp = Blueprint("api_v1", __name__, url_prefix="/api/v1", description="Focus Hub API, version 1")


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _rate_key() -> str:
    token = _bearer_token()
    return f"token:{hash_token(token)[:16]}" if token else f"ip:{request.remote_addr}"


def _api_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def authenticate():
    """Every API call names its user by a personal token; a browser cookie is ignored."""
    token = _bearer_token()
    if token is None:
        return api_error(401, "Send a personal API token: Authorization: Bearer <token>.")
    user = tokens.user_for_token(token)
    if user is None:
        return api_error(401, "The API token is not valid, or has been revoked.")
    g._login_user = user  # flask-login's current_user for this request only; no session
    return None


# Every blueprint of the API: declared once, here, as the blueprint objects outlive any one
# app (tests build several). Bearer tokens are not sent by browsers on their own, so no CSRF.
for _api_bp in (bp, api_referrals.bp):
    limiter.limit(_api_limit, key_func=_rate_key)(_api_bp)
    csrf.exempt(_api_bp)
    _api_bp.before_request(authenticate)


class AgencySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()


class HubRolesSchema(Schema):
    slug = fields.String()
    name = fields.String()
    roles = fields.List(fields.String())


class MeSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    agency = fields.Nested(AgencySchema)
    hubs = fields.List(fields.Nested(HubRolesSchema))
    roles = fields.List(fields.String(), metadata={"description": "roles held in no one hub"})


@bp.get("/me")
@bp.response(200, MeSchema)
@requires("signed_in")
def me():
    """The token's user, their agency, and their roles in each hub."""
    user = current_user
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "agency": user.agency,
        "hubs": [
            {"slug": h.slug, "name": h.name, "roles": sorted(user.role_names(h) - {"sysadmin"})}
            for h in user.agency.hubs
        ],
        "roles": sorted(r.role for r in user.roles if r.hub_id is None),
    }


def init_app(app: Flask) -> None:
    api = HubApi(app)
    app.extensions["hub_api"] = api
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "personal API token"}
    )
    api.spec.options["security"] = [{"bearerAuth": []}]
    api.register_blueprint(bp)
    api.register_blueprint(api_referrals.bp)
    # The OpenAPI document describes the API and holds no data: anyone may read it.
    endpoint = "api-docs.openapi_json"
    app.view_functions[endpoint] = requires("public")(app.view_functions[endpoint])
