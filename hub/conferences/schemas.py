"""What the conference forms may send (marshmallow), with messages in plain words."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from hub.core.forms import SENSIBLE_DATE
from hub.models import (
    AttendanceStatus,
    CaseReviewApplicant,
    DecisionKind,
    LetterChannel,
    VictimAccount,
)
from hub.permissions import hub_today

OUTCOME_LIMIT = 5000  # an ASB case review's outcome and recommendations


class ApplicationSchema(Schema):
    # The case's reference; or, for a problem that is not yet a case, the reference of the
    # referral the complaints came in as (the application opens its case).
    case_reference = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=30, error="Enter the case reference"),
    )
    referral_reference = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=30, error="Enter the referral's reference"),
    )
    received_on = fields.Date(
        required=True,
        error_messages={
            "required": "Enter the date the application was received",
            "invalid": "Enter the date as a real date, for example 2026-11-23",
        },
    )
    applicant = fields.String(
        required=True,
        validate=validate.OneOf(
            [a.value for a in CaseReviewApplicant], error="Choose who made the application"
        ),
        error_messages={"required": "Choose who made the application"},
    )
    complaints_reported = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=False,
        validate=validate.Range(0, 999, error="Enter a number from 0 to 999"),
        error_messages={"invalid": "Enter the number of complaints as a whole number"},
    )

    @validates_schema
    def _not_ahead(self, data, **_):
        received = data.get("received_on")
        if received and received > hub_today():
            raise ValidationError({"received_on": ["The date received cannot be in the future"]})

    @validates_schema
    def _one_of(self, data, **_):
        if not data.get("case_reference") and not data.get("referral_reference"):
            raise ValidationError(
                {
                    "case_reference": [
                        "Enter the case reference, or the referral's if the problem is not yet "
                        "a case"
                    ]
                }
            )


def _version():
    return fields.Integer(
        required=True,
        strict=False,
        error_messages={"required": "Reload the page", "invalid": "Reload the page"},
    )


def _day(what: str, required: bool = True):
    messages = {
        "required": f"Enter the date {what}",
        "invalid": f"Enter the date {what} as a real date, for example 2026-11-23",
    }
    if required:
        return fields.Date(required=True, validate=SENSIBLE_DATE, error_messages=messages)
    return fields.Date(load_default=None, validate=SENSIBLE_DATE, error_messages=messages)


def _words(message: str, limit: int = 120):
    return fields.String(
        required=True,
        validate=validate.Length(
            min=1, max=limit, error=f"{message} ({limit} characters or fewer)"
        ),
        error_messages={"required": message},
    )


class OutcomeSchema(Schema):
    held_on = _day("the review meeting was held")
    outcome = fields.String(
        required=True,
        validate=validate.Length(
            min=1,
            max=OUTCOME_LIMIT,
            error=f"Enter the outcome in {OUTCOME_LIMIT} characters or fewer",
        ),
        error_messages={"required": "Enter the outcome and the recommendations made"},
    )
    version = _version()


def _sent_by():
    return fields.String(
        required=True,
        validate=validate.OneOf(
            [c.value for c in LetterChannel], error="Choose how the letter was sent"
        ),
        error_messages={"required": "Choose how the letter was sent"},
    )


class AcknowledgeSchema(Schema):
    acknowledged_on = _day("the application was acknowledged")
    acknowledged_by = _sent_by()
    version = _version()


class OutcomeLetterSchema(Schema):
    outcome_sent_on = _day("the outcome letter was sent")
    outcome_sent_by = _sent_by()
    version = _version()


class AppealLetterSchema(Schema):
    appeal_letter_sent_on = _day("the appeal's outcome letter was sent")
    appeal_letter_sent_by = _sent_by()
    version = _version()


class ChairSchema(Schema):
    chair_name = _words("Enter the chair's name")
    chair_role = _words("Enter the chair's role")
    # Blank: from outside the partnership.
    chair_agency_id = fields.Integer(
        load_default=None, allow_none=True, error_messages={"invalid": "Choose an agency"}
    )
    version = _version()


class VictimInviteSchema(Schema):
    victim_invited_on = _day("the victim was invited to give their account")
    version = _version()


class VictimAccountSchema(Schema):
    victim_account = fields.String(
        required=True,
        validate=validate.OneOf(
            [a.value for a in VictimAccount], error="Choose whether they gave an account"
        ),
        error_messages={"required": "Choose whether they gave an account"},
    )
    victim_account_on = _day("of their answer")
    version = _version()


class AppealSchema(Schema):
    appeal_lodged_on = _day("the appeal was lodged")
    version = _version()


class AppealDecisionSchema(Schema):
    appeal_chair_name = _words("Enter the name of who heard the appeal")
    appeal_chair_role = _words("Enter their role")
    appeal_upheld = fields.String(
        required=True,
        validate=validate.OneOf(["yes", "no"], error="Choose whether the appeal was upheld"),
        error_messages={"required": "Choose whether the appeal was upheld"},
    )
    appeal_decided_on = _day("the appeal was decided")
    version = _version()


def _days(most: int, *, working: bool = True) -> fields.Integer:
    """A timescale: a whole number of (working) days from 1 to `most`."""
    unit = "working days" if working else "days"
    return fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(1, most, error=f"Enter a number of {unit} from 1 to {most}"),
        error_messages={
            "required": f"Enter a number of {unit}",
            "invalid": f"Enter a whole number of {unit}",
        },
    )


class TimescalesSchema(Schema):
    acknowledge_days = _days(20)
    decision_days = _days(60)
    meeting_days = _days(90, working=False)
    outcome_days = _days(20)
    appeal_days = _days(60)


class FiguresSchema(Schema):
    # The financial year starting 1 April of this year.
    year = fields.Integer(
        load_default=None,
        strict=False,
        validate=validate.Range(2014, 2100, error="Choose a year from the list"),
        error_messages={"invalid": "Choose a year from the list"},
    )


class DecisionSchema(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf([k.value for k in DecisionKind], error="Choose a decision"),
        error_messages={"required": "Choose a decision"},
    )
    version = fields.Raw(load_default=None)
    case_version = fields.Raw(load_default=None)
    reason = fields.String(
        load_default="",
        validate=validate.Length(max=2000, error="Use 2000 characters or fewer"),
    )
    title = fields.String(load_default="")
    objective = fields.String(load_default="")
    success_measures = fields.String(load_default="")
    agency_id = fields.Raw(load_default=None)
    owner_id = fields.Raw(load_default=None)
    description = fields.String(load_default="")
    due_on = fields.Raw(load_default=None)
    band = fields.String(load_default="")
    review_on = fields.Raw(load_default=None)
    met = fields.String(load_default="")
    spoc_user_id = fields.Raw(load_default=None)


class ReviewOn(Schema):
    review_on = fields.Date(
        required=True,
        error_messages={
            "required": "Enter the next review date",
            "invalid": "Enter the next review date in the form 2027-03-31",
        },
    )


class DecisionLogFilters(Schema):
    kind = fields.String(
        load_default=None,
        validate=validate.OneOf([k.value for k in DecisionKind], error="Choose a kind of decision"),
    )
    date_from = fields.Date(
        load_default=None,
        validate=SENSIBLE_DATE,
        error_messages={"invalid": "Enter the from date as a real date"},
    )
    date_to = fields.Date(
        load_default=None,
        validate=SENSIBLE_DATE,
        error_messages={"invalid": "Enter the to date as a real date"},
    )
    page = fields.Integer(load_default=1, error_messages={"invalid": "Choose a page"})

    @validates_schema
    def _range(self, data, **_):
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise ValidationError({"date_to": ["The to date must be on or after the from date"]})
        if data.get("page", 1) < 1:
            raise ValidationError({"page": ["Choose a page"]})


class AttendanceSchema(Schema):
    agency_id = fields.Integer(
        required=True,
        error_messages={"required": "Choose the agency", "invalid": "Choose the agency"},
    )
    status = fields.String(
        required=True,
        validate=validate.OneOf(
            [s.value for s in AttendanceStatus], error="Choose present, apologies or absent"
        ),
        error_messages={"required": "Choose present, apologies or absent"},
    )
    user_id = fields.Integer(load_default=None, error_messages={"invalid": "Choose the person"})
    name = fields.String(
        load_default="",
        validate=validate.Length(max=120, error="Enter a name of 120 characters or fewer"),
    )
    version = fields.Raw(load_default=None)


class SlotSchema(Schema):
    weekday = fields.Integer(
        required=True,
        validate=validate.Range(0, 4, error="Choose a weekday from Monday to Friday"),
        error_messages={"required": "Choose the day", "invalid": "Choose the day"},
    )
    time = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^([01]\d|2[0-3]):[0-5]\d$", error="Enter the time as HH:MM, like 10:00"
        ),
        error_messages={"required": "Enter the time"},
    )
    place = fields.String(load_default="", validate=validate.Length(max=200))
    online_link = fields.String(
        load_default="",
        validate=validate.Length(max=500),
    )
    chair_id = fields.Integer(load_default=None, allow_none=True)
    deputy_id = fields.Integer(load_default=None, allow_none=True)
    agenda_hours_before = fields.Integer(
        load_default=48,
        validate=validate.Range(1, 336, error="Enter a number of hours from 1 to 336"),
        error_messages={"invalid": "Enter a whole number of hours"},
    )
    weeks_ahead = fields.Integer(
        load_default=4,
        validate=validate.Range(1, 12, error="Enter a number of weeks from 1 to 12"),
        error_messages={"invalid": "Enter a whole number of weeks"},
    )

    @validates_schema
    def _link(self, data, **kwargs):
        link = data.get("online_link") or ""
        if link and not link.startswith("https://"):
            raise ValidationError({"online_link": ["Enter a link starting https://"]})


class ConfirmSchema(Schema):
    day = fields.Date(
        required=True,
        validate=SENSIBLE_DATE,
        error_messages={"required": "Enter the date", "invalid": "Enter a real date"},
    )
    time = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^([01]\d|2[0-3]):[0-5]\d$", error="Enter the time as HH:MM, like 14:30"
        ),
        error_messages={"required": "Enter the time"},
    )
    place = fields.String(load_default="", validate=validate.Length(max=200))
    online_link = fields.String(load_default="", validate=validate.Length(max=500))

    @validates_schema
    def _link(self, data, **kwargs):
        link = data.get("online_link") or ""
        if link and not link.startswith("https://"):
            raise ValidationError({"online_link": ["Enter a link starting https://"]})
