"""What the case workspace's forms may send (marshmallow), with messages in plain words."""

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from hub.models import (
    ActionStatus,
    AssessmentKind,
    Band,
    DataCategory,
    Stage,
)
from hub.models.casework import (
    EVALUATION_OUTCOMES,
    INTERVENTION_TYPES,
    SATISFACTION,
    SUBJECT_AGE_GROUPS,
)
from hub.models.records import EVIDENCE_KINDS
from scoring.rules import CATEGORIES, OVERRIDE_ANSWERS, RISK_FACTORS


def text_field(required_message: str | None = None, max_length: int = 5000, **kw):
    if required_message:
        return fields.String(
            required=True,
            validate=validate.Length(
                min=1, max=max_length, error=f"{required_message} (up to {max_length} characters)"
            ),
            error_messages={"required": required_message},
            **kw,
        )
    return fields.String(
        load_default="",
        validate=validate.Length(max=max_length, error=f"Use {max_length} characters or fewer"),
        **kw,
    )


def date_field(message: str, required: bool = False):
    kw = {"required": True} if required else {"load_default": None}
    return fields.Date(
        error_messages={"required": message, "invalid": message + " in the form 2027-03-31"},
        **kw,
    )


def category_field():
    return fields.String(
        required=True,
        validate=validate.OneOf(
            [c.value for c in DataCategory], error="Choose the data category this belongs to"
        ),
        error_messages={"required": "Choose the data category this belongs to"},
    )


ANSWERS = RISK_FACTORS + OVERRIDE_ANSWERS


def form_token_field():
    """The one-time token of a form that adds a record (hub.core.locking.add_once)."""
    return fields.String(
        load_default=None,
        validate=validate.Regexp(r"^[0-9a-f]{1,40}$", error="Send the form again"),
    )


class NoteSchema(Schema):
    body = text_field("Enter the note")
    category = category_field()
    sharing = fields.String(
        load_default="members",
        validate=validate.OneOf(["members", "restricted"], error="Choose who may see the note"),
    )
    restricted_to = fields.List(fields.Integer(), load_default=list)
    form_token = form_token_field()


class CaseDetailsSchema(Schema):
    title = text_field("Enter a short title that names no one", max_length=200)
    lead_agency_id = fields.Integer(load_default=None, error_messages={"invalid": "Choose one"})
    spoc_user_id = fields.Integer(load_default=None, error_messages={"invalid": "Choose one"})
    next_conference_on = date_field("Enter the next conference date")
    next_review_on = date_field("Enter the next review date")
    version = fields.Raw(load_default=None)


class PlanSchema(Schema):
    objective = text_field()
    success_measures = text_field()
    scanning = text_field()
    analysis_victim = text_field()
    analysis_offender = text_field()
    analysis_location = text_field()
    response = text_field()
    assessment = text_field()
    version = fields.Raw(load_default=None)

    @validates_schema
    def _measures_with_objective(self, data, **_):
        if data.get("objective") and not data.get("success_measures"):
            raise ValidationError(
                "State how you will measure success with the objective", "success_measures"
            )


class ActionSchema(Schema):
    description = text_field("Describe the action", max_length=2000)
    agency_id = fields.Integer(
        required=True,
        error_messages={"required": "Choose the owning agency", "invalid": "Choose an agency"},
    )
    owner_id = fields.Integer(
        required=True, error_messages={"required": "Choose the owner", "invalid": "Choose one"}
    )
    due_on = date_field("Enter the due date", required=True)
    status = fields.String(
        load_default=ActionStatus.OPEN.value,
        validate=validate.OneOf([s.value for s in ActionStatus], error="Choose a status"),
    )
    outcome = text_field(max_length=2000)
    version = fields.Raw(load_default=None)
    form_token = form_token_field()


class AssessmentSchema(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(
            [k.value for k in AssessmentKind], error="Choose when this assessment is made"
        ),
        error_messages={"required": "Choose when this assessment is made"},
    )
    problem_type = fields.String(
        required=True,
        validate=validate.OneOf(CATEGORIES, error="Choose the kind of problem"),
        error_messages={"required": "Choose the kind of problem"},
    )
    answers = fields.List(
        fields.String(validate=validate.OneOf(ANSWERS, error="Choose from the list")),
        load_default=list,
    )
    summary = text_field()
    category = category_field()
    sign = fields.Boolean(load_default=False)


class InterventionSchema(Schema):
    type = fields.String(
        required=True,
        validate=validate.OneOf(list(INTERVENTION_TYPES), error="Choose the intervention or power"),
        error_messages={"required": "Choose the intervention or power"},
    )
    issuing_officer = text_field("Enter the issuing officer's name", max_length=200)
    subject = text_field("Enter the person or place it was used on", max_length=200)
    subject_age_group = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["", *SUBJECT_AGE_GROUPS], error="Choose the subject's age group"),
    )
    conditions = text_field()
    served_on = date_field("Enter the date served")
    expires_on = date_field("Enter the expiry date")
    review_on = date_field("Enter the review date")
    breaches = text_field()
    appeal = text_field()
    outcome = text_field()
    category = category_field()
    # Where it is in its lifecycle when first recorded (later steps: hub.casework.powers).
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(
            ["proposed", "risk_assessed", "applied", "granted", "served"],
            error="Choose where it is now",
        ),
    )
    version = fields.Raw(load_default=None)

    @post_load
    def _age_group_or_none(self, data, **_):
        data["subject_age_group"] = data.get("subject_age_group") or None
        if data.get("status") is None:
            data["status"] = "served" if data.get("served_on") else "proposed"
        return data

    @validates_schema
    def _dates_in_order(self, data, **_):
        served, expires = data.get("served_on"), data.get("expires_on")
        if served and expires and expires < served:
            raise ValidationError(
                "The expiry date must be on or after the date served", "expires_on"
            )


class EvaluationSchema(Schema):
    """The evaluation's own fields; each success measure, intervention, agency's view and
    lesson used are checked beside it (hub.casework.evaluations), as the case decides them."""

    outcome = fields.String(
        required=True,
        validate=validate.OneOf(list(EVALUATION_OUTCOMES), error="Choose the outcome"),
        error_messages={"required": "Choose the outcome"},
    )
    summary = text_field("Summarise the outcome against the success measures")
    objective_result = text_field()
    victim_satisfaction = fields.Integer(
        load_default=None,
        validate=validate.OneOf(list(SATISFACTION), error="Choose how satisfied the victim is"),
        error_messages={"invalid": "Choose how satisfied the victim is"},
    )
    victim_words = text_field()
    victim_not_asked = text_field()
    officer_hours = fields.Float(
        load_default=None,
        allow_nan=False,
        validate=validate.Range(
            min=0, max=100_000, error="Enter the officer hours as a number, such as 12.5"
        ),
        error_messages={"invalid": "Enter the officer hours as a number, such as 12.5"},
    )
    window_days = fields.Integer(
        load_default=90,
        validate=validate.Range(
            min=14, max=365, error="Choose a window of 14 to 365 days before and after"
        ),
        error_messages={"invalid": "Choose a window of 14 to 365 days before and after"},
    )
    lessons = text_field()

    @validates_schema(skip_on_field_errors=False)
    def _victim_view_or_why_not(self, data, **_):
        asked = data.get("victim_satisfaction") is not None
        why_not = (data.get("victim_not_asked") or "").strip()
        if not asked and not why_not:
            raise ValidationError(
                "Give the victim's satisfaction, or say why they were not asked",
                "victim_satisfaction",
            )
        if asked and why_not:
            raise ValidationError(
                "Leave this blank when the victim gave their view", "victim_not_asked"
            )


class BoardFilters(Schema):
    band = fields.String(load_default=None, validate=validate.OneOf([b.value for b in Band]))
    lead = fields.Integer(load_default=None)
    mine = fields.Boolean(load_default=False)  # my agency's cases
    my_actions = fields.Boolean(load_default=False)
    overdue = fields.Boolean(load_default=False)
    sort = fields.String(
        load_default="deadline", validate=validate.OneOf(["deadline", "reference"])
    )
    stage = fields.String(load_default=None, validate=validate.OneOf([s.value for s in Stage]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))


def sharing_fields() -> dict:
    """Who may see a record: every member agency, or only those named (and its own)."""
    return {
        "sharing": fields.String(
            load_default="members",
            validate=validate.OneOf(["members", "restricted"], error="Choose who may see it"),
        ),
        "restricted_to": fields.List(fields.Integer(), load_default=list),
    }


class IncidentSchema(Schema.from_dict(sharing_fields())):
    occurred_on = date_field("Enter the date it happened", required=True)
    occurred_time = fields.Time(
        load_default=None,
        error_messages={"invalid": "Enter the time it happened in the form 21:30"},
    )
    description = text_field("Describe what happened", max_length=5000)
    location = text_field("Enter where it happened", max_length=300)
    people = text_field(max_length=2000)
    reported_by = text_field("Enter who reported it", max_length=200)
    reported_to = text_field(max_length=200)
    crime_reference = fields.String(
        load_default=None,
        validate=validate.Regexp(
            r"^[A-Za-z0-9/\-]{3,40}$",
            error="Enter the crime reference as the force gives it, letters, digits, / and -",
        ),
    )
    hate = fields.Boolean(load_default=False, truthy={"yes", "true", "1", "on"})
    form_token = form_token_field()


class AgencyComplaintSchema(Schema.from_dict(sharing_fields())):
    made_on = date_field("Enter the date the complaint was made", required=True)
    complainant = text_field("Enter who complained", max_length=120)
    location = text_field("Enter where the ASB happened", max_length=300)
    summary = text_field(max_length=2000)
    form_token = form_token_field()


class EvidenceSchema(Schema.from_dict(sharing_fields())):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(list(EVIDENCE_KINDS), error="Choose what kind of evidence it is"),
        error_messages={"required": "Choose what kind of evidence it is"},
    )
    description = text_field(max_length=2000)
    category = category_field()
    form_token = form_token_field()


POWER_STEPS = (
    "proposed",
    "risk_assessed",
    "applied",
    "granted",
    "refused",
    "served",
    "varied",
    "expired",
    "discharged",
    "withdrawn",
)


class PowerStepSchema(Schema):
    step = fields.String(
        required=True,
        validate=validate.OneOf(POWER_STEPS, error="Choose the step"),
        error_messages={"required": "Choose the step"},
    )
    on = date_field("Enter the date of the step", required=True)
    court = text_field(max_length=200)
    hearing_on = date_field("Enter the hearing date")
    order_kind = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["interim", "full"], error="Choose interim or full"),
    )
    # Named apart from the record's own form on the same page.
    expires_on = fields.Date(
        load_default=None,
        data_key="step_expires_on",
        error_messages={"invalid": "Enter the new expiry date in the form 2027-03-31"},
    )
    review_on = fields.Date(
        load_default=None,
        data_key="step_review_on",
        error_messages={"invalid": "Enter the new review date in the form 2027-03-31"},
    )
    note = text_field(max_length=2000)
    version = fields.Raw(load_default=None)


class BreachSchema(Schema):
    occurred_on = date_field("Enter the date of the breach", required=True)
    what = text_field("Describe the breach", max_length=2000)
    reported_by = text_field("Enter who reported it", max_length=200)
    action_taken = text_field(max_length=2000)
    form_token = form_token_field()


LETTER_KINDS = (
    "acknowledgement",
    "warning_letter",
    "community_protection_warning",
    "case_review_decision",
)


class LetterSchema(Schema.from_dict(sharing_fields())):
    # Named apart from the evidence form's fields on the same tab.
    kind = fields.String(
        required=True,
        data_key="letter_kind",
        validate=validate.OneOf(LETTER_KINDS, error="Choose the letter"),
        error_messages={"required": "Choose the letter"},
    )
    recipient_name = text_field("Enter who the letter is to", max_length=200)
    recipient_address = text_field("Enter their address", max_length=1000)
    details = text_field(max_length=5000)
    intervention_id = fields.Integer(
        load_default=None, error_messages={"invalid": "Choose the community protection warning"}
    )
    category = fields.String(
        required=True,
        data_key="letter_category",
        validate=validate.OneOf(
            [c.value for c in DataCategory], error="Choose the data category this belongs to"
        ),
        error_messages={"required": "Choose the data category this belongs to"},
    )
    form_token = form_token_field()
