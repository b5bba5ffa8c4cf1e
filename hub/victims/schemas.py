"""What the victims' forms may send (marshmallow), with messages in plain words."""

from datetime import time

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from hub.casework.schemas import date_field, form_token_field, text_field
from hub.models.victims import SATISFACTION, Channel, ContactOutcome, RiskNow, SupportConsent

CHANNELS = [c.value for c in Channel]
YES_NO_UNKNOWN = {"yes": True, "no": False, "unknown": None}


def _choice(values, message: str, **kw):
    return fields.String(
        validate=validate.OneOf(list(values), error=message),
        error_messages={"required": message},
        **kw,
    )


def _time_field(message: str):
    return fields.String(
        load_default="10:00",
        validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error=message + ", like 14:30"),
    )


def parse_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


class VictimSchema(Schema):
    """A victim's contact needs: who, how to reach them safely, what help they need."""

    name = text_field("Enter the victim's name", max_length=200)
    phone = text_field(max_length=40)
    email = fields.String(
        load_default="",
        validate=validate.Regexp(
            r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$", error="Enter an email address like name@example.org"
        ),
    )
    address = text_field(max_length=300)
    preferred_channel = _choice(
        CHANNELS, "Choose how the victim prefers to be contacted", required=True
    )
    contact_times = text_field(max_length=200)
    safe_to_leave_message = _choice(
        YES_NO_UNKNOWN, "Say whether it is safe to leave a message", load_default="unknown"
    )
    safe_to_send_letter = _choice(
        YES_NO_UNKNOWN, "Say whether it is safe to send a letter", load_default="unknown"
    )
    safety_notes = text_field(max_length=2000)
    language = text_field(max_length=60)
    interpreter_needed = _choice(
        ["yes", "no"], "Say whether an interpreter is needed", load_default="no"
    )
    access_needs = text_field(max_length=2000)
    support_in_place = text_field(max_length=2000)
    support_consent = _choice(
        [c.value for c in SupportConsent],
        "Say whether the victim consents to a referral for support",
        load_default=SupportConsent.NOT_ASKED.value,
    )
    support_referred_to = text_field(max_length=200)
    support_referred_on = date_field("Enter the date of the referral for support")
    wants_updates = _choice(
        ["yes", "no"], "Say whether the victim wants to be told of each step", load_default="yes"
    )
    spoc_user_id = fields.Integer(load_default=None, error_messages={"invalid": "Choose the SPoC"})
    sharing = fields.String(
        load_default="members",
        validate=validate.OneOf(["members", "restricted"], error="Choose who may see this victim"),
    )
    restricted_to = fields.List(fields.Integer(), load_default=list)
    version = fields.Raw(load_default=None)

    @validates_schema(skip_on_field_errors=False)
    def _safe_and_consistent(self, data, **_):
        errors = {}
        channel = data.get("preferred_channel")
        if channel == Channel.LETTER and data.get("safe_to_send_letter") != "yes":
            errors["preferred_channel"] = [
                "A letter is only a preferred way once it is known to be safe"
            ]
        if channel in (Channel.PHONE, Channel.TEXT) and not data.get("phone"):
            errors["phone"] = ["Enter a phone number, or choose another way to contact the victim"]
        if channel == Channel.EMAIL and not data.get("email"):
            errors["email"] = [
                "Enter an email address, or choose another way to contact the victim"
            ]
        if channel == Channel.LETTER and not data.get("address"):
            errors["address"] = ["Enter an address for letters, or choose another way"]
        if data.get("support_referred_to") and data.get("support_consent") != SupportConsent.YES:
            errors["support_consent"] = ["A referral for support needs the victim's consent"]
        if data.get("support_referred_on") and not data.get("support_referred_to"):
            errors["support_referred_to"] = ["Say which service the victim was referred to"]
        if errors:
            raise ValidationError(errors)


class ContactSchema(Schema):
    """One contact in the log, and the next call-back it sets."""

    contact_on = date_field("Enter the date of the contact", required=True)
    contact_time = _time_field("Enter the time of the contact")
    channel = _choice(CHANNELS, "Choose how the contact was made", required=True)
    outcome = _choice(
        [o.value for o in ContactOutcome], "Say whether you reached the victim", required=True
    )
    reported = text_field(max_length=5000)
    told = text_field(max_length=5000)
    risk_now = fields.String(
        load_default=None,
        validate=validate.OneOf(
            [r.value for r in RiskNow], error="Say how the victim's risk is now"
        ),
    )
    next_on = date_field("Enter the date of the next call-back")
    next_time = _time_field("Enter the time of the next call-back")
    form_token = form_token_field()

    @validates_schema
    def _spoken_to(self, data, **_):
        if data.get("outcome") == ContactOutcome.SPOKE and not data.get("risk_now"):
            raise ValidationError({"risk_now": ["Say how the victim's risk is now"]})
        if data.get("outcome") == ContactOutcome.SPOKE and not (
            data.get("reported") or data.get("told")
        ):
            raise ValidationError(
                {"reported": ["Enter what the victim reported or what they were told"]}
            )


class CallBackSchema(Schema):
    """A call-back scheduled (or moved) by itself."""

    due_on = date_field("Enter the date of the call-back", required=True)
    due_time = _time_field("Enter the time of the call-back")
    spoc_user_id = fields.Integer(load_default=None, error_messages={"invalid": "Choose the SPoC"})
    version = fields.Raw(load_default=None)


class ToldSchema(Schema):
    """A milestone the victim was told of, and how."""

    milestone = fields.String(
        required=True,
        validate=validate.Regexp(r"^[a-z_]{1,40}(:\d{1,10})?$", error="Choose the update"),
        error_messages={"required": "Choose the update"},
    )
    channel = _choice(CHANNELS, "Choose how the victim was told", required=True)


def _days(band: str):
    message = f"Enter the working days between call-backs for a {band} case, from 1 to 60"
    return fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(min=1, max=60, error=message),
        error_messages={"required": message, "invalid": message},
    )


class CadenceSchema(Schema):
    """The hub's call-back cadence: working days between a SPoC's contacts, by band."""

    critical_days = _days("critical")
    high_days = _days("high")
    medium_days = _days("medium")
    standard_days = _days("standard")


class SatisfactionSchema(Schema):
    """The closing question's answer."""

    satisfaction = _choice(SATISFACTION, "Choose the victim's answer", required=True)
