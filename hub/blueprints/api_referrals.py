"""/api/v1/referrals: submit a referral (scored on arrival), read one, list them.

The same bearer-token authentication, rate limit and JSON errors as the rest of /api/v1:
hub.blueprints.api gives them to this blueprint when it registers it."""

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from hub import permissions as perm
from hub.core.errors import api_error
from hub.core.forms import attempt
from hub.extensions import db
from hub.models import Hub, Referral
from referrals import intake, present
from referrals.schemas import ReferralSchema

bp = Blueprint(
    "api_referrals",
    __name__,
    url_prefix="/api/v1/referrals",
    description="Referrals: any partner refers a person, problem or place; each is scored.",
)


class ContributionOut(Schema):
    factor = fields.String()
    label = fields.String()
    points = fields.Integer()


class ReferralOut(Schema):
    id = fields.Integer()
    reference = fields.String()
    hub = fields.String()
    status = fields.String()
    about = fields.String()
    category = fields.String()
    summary = fields.String(
        allow_none=True,
        metadata={"description": "null for another agency's referral on a case"},
    )
    score = fields.Integer(allow_none=True)
    band = fields.String(allow_none=True)
    conference_due_by = fields.String(
        allow_none=True, metadata={"description": "ISO 8601 with offset (Europe/London)"}
    )
    submitted_at = fields.String(allow_none=True)
    decision = fields.String(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True)


class ReferralOutcomeOut(ReferralOut):
    ruleset_version = fields.String()
    explanation = fields.List(fields.Nested(ContributionOut))
    overridden_by = fields.String(allow_none=True)
    case_review_threshold_met = fields.Boolean()
    case_review_reason = fields.String(allow_none=True)
    review_every_days = fields.Integer()
    next_review_on = fields.String(allow_none=True)
    repeat = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True)),
        metadata={"description": "earlier incidents: victim/place/subject → 30/90/180 days"},
    )
    matches = fields.Dict(
        metadata={"description": "whether an open case may concern this (nothing more)"}
    )
    case_reference = fields.String()
    signposted_to = fields.String()
    suggested_cases = fields.List(
        fields.Dict(), metadata={"description": "coordinators only: board cards"}
    )


class ReferralFullOut(ReferralOutcomeOut):
    description = fields.String()
    first_incident_on = fields.String(allow_none=True)
    incident_count = fields.Integer()
    location = fields.Dict()
    consent = fields.Dict()
    risk = fields.Dict(keys=fields.String(), values=fields.Boolean())
    risk_unknown = fields.List(
        fields.String(), metadata={"description": "questions answered don't know (scored as no)"}
    )
    incident_category = fields.String(allow_none=True)
    asb_type = fields.String(allow_none=True)
    hate_strands = fields.List(fields.String())
    crime_reference = fields.String(allow_none=True)
    people = fields.List(fields.Dict())


class ReferralListArgs(Schema):
    class Meta:
        unknown = "raise"

    hub = fields.String(load_default=None)
    status = fields.String(
        load_default=None, validate=validate.OneOf(["draft", "submitted", "triaged"])
    )
    band = fields.String(
        load_default=None, validate=validate.OneOf(["critical", "high", "medium", "standard"])
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 1_000_000))


class ReferralListOut(Schema):
    items = fields.List(fields.Nested(ReferralOut))
    limit = fields.Integer()
    offset = fields.Integer()


@bp.post("")
@bp.doc(
    requestBody={"required": True, "content": {"application/json": {"schema": ReferralSchema}}},
    parameters=[
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string", "maxLength": 100},
            "description": "a retry with the same key returns the first referral (200)",
        }
    ],
)
@bp.response(201, ReferralOutcomeOut)
@bp.alt_response(200, schema=ReferralOutcomeOut, description="a repeat of an earlier request")
@bp.alt_response(422, schema="Error", description="the referral has errors: see fields")
@perm.requires("signed_in")
def create():
    """Submit a referral: it is validated, matched against the hub's history and scored."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return api_error(400, "Send a JSON object with Content-Type: application/json.")
    submitted = attempt(
        intake.submit_referral,
        payload,
        user=current_user,
        idempotency_key=request.headers.get("Idempotency-Key"),
        commit=False,
    )
    if not submitted:
        return api_error(422, "The referral has errors: see fields.", submitted.messages)
    referral, created = submitted.result
    # Built before the commit, from what is in memory: after it every object would be reloaded.
    body = present.outcome_dict(referral, current_user)
    db.session.commit()
    headers = {} if created else {"Idempotent-Replayed": "true"}
    return body, (201 if created else 200), headers


@bp.get("")
@bp.arguments(ReferralListArgs, location="query")
@bp.response(200, ReferralListOut)
@perm.requires("signed_in")
def index(args):
    """Referrals you may see: your agency's, and every referral in the hubs you triage."""
    query = perm.referrals_visible(current_user)
    if args["hub"]:
        query = query.join(Hub, Hub.id == Referral.hub_id).where(Hub.slug == args["hub"])
    if args["status"]:
        query = query.where(Referral.status == args["status"])
    if args["band"]:
        query = query.where(Referral.band == args["band"])
    rows = list(
        db.session.execute(
            query.order_by(Referral.id.desc()).limit(args["limit"]).offset(args["offset"])
        ).scalars()
    )
    body = {
        "items": [present.summary_dict(r, current_user) for r in rows],
        "limit": args["limit"],
        "offset": args["offset"],
    }
    present.audit_list(current_user, rows, what="referral list")
    db.session.commit()
    return body


@bp.get("/<int:referral_id>")
@bp.response(200, ReferralFullOut)
@perm.requires("see_referral")
def show(referral: Referral):
    """One referral, with its people (an audited read of personal data)."""
    body = present.full_dict(referral, current_user)
    db.session.commit()
    return body
