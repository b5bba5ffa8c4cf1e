"""The referral's shape, for the API and the web form alike: unknown fields are rejected and
every message says what to do."""

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)

from hub.core.timeutil import LONDON, utcnow
from hub.models.referral import AGE_BANDS, VULNERABILITIES, About, AsbCategory, PersonRole
from referrals.normalise import normalise_postcode
from scoring.rules import BANDS, OVERRIDE_ANSWERS, RISK_FACTORS

MAX_PEOPLE = 20
# The questionnaire is the scoring engine's: its weighted factors and the answers that override.
RISK_KEYS = RISK_FACTORS + OVERRIDE_ANSWERS
RISK_QUESTIONS = {
    "targeted": "Is the victim being targeted personally?",
    "repeat": "Has the victim experienced this before (repeat victimisation)?",
    "vulnerable": "Is the victim, or anyone in their household, vulnerable?",
    "hate_motivated": "Is the behaviour motivated by hate (for example race, religion, "
    "disability, sexual orientation or gender identity)?",
    "fear_for_safety": "Does the victim fear for their safety?",
    "threats_or_violence": "Have there been threats or violence?",
    "health_affected": "Is it affecting the victim's health or sleep?",
    "routine_affected": "Is it affecting the victim's daily routine?",
    "considering_moving": "Is the victim considering moving home because of it?",
    "children_affected": "Are children affected?",
    "escalating": "Is it getting more frequent or more serious?",
    "isolated": "Is the victim isolated, without support?",
    "community_impact": "Is it affecting the wider community?",
    "threat_to_life": "Is there a threat to life?",
    "self_harm_risk": "Is the victim at risk of self-harm?",
}


def _past_date(label: str):
    def check(value):
        if value > utcnow().astimezone(LONDON).date():
            raise ValidationError(f"{label} must be today or in the past")

    return check


def _text(max_len: int, what: str, required=False, min_len=0, **kw):
    return fields.String(
        required=required,
        validate=validate.Length(
            min=min_len, max=max_len, error=f"{what} must be {max_len:,} characters or fewer"
        )
        if not min_len
        else validate.Length(
            min=min_len,
            max=max_len,
            error=f"{what} must be between {min_len} and {max_len:,} characters",
        ),
        error_messages={"required": f"Enter {what.lower()}", "invalid": f"Enter {what.lower()}"},
        **kw,
    )


class StrictBoolean(fields.Boolean):
    """JSON true or false only: "yes", 1 or "false" are refused rather than guessed."""

    truthy = {True}
    falsy = {False}


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class LocationSchema(StrictSchema):
    address = _text(300, "The address", required=True, min_len=3)
    postcode = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=10, error="Enter a real postcode, like CA28 7XY"),
    )
    lat = fields.Float(
        load_default=None,
        allow_none=True,
        validate=validate.Range(49.8, 60.9, error="Latitude must be within the UK (49.8 to 60.9)"),
        error_messages={"invalid": "Latitude must be a number, like 54.55"},
    )
    lon = fields.Float(
        load_default=None,
        allow_none=True,
        validate=validate.Range(-8.7, 1.8, error="Longitude must be within the UK (-8.7 to 1.8)"),
        error_messages={"invalid": "Longitude must be a number, like -3.58"},
    )

    @validates("postcode")
    def _postcode(self, value, **_):
        if value and normalise_postcode(value) is None:
            raise ValidationError("Enter a real postcode, like CA28 7XY")

    @validates_schema
    def _both_coordinates(self, data, **_):
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise ValidationError("Give both latitude and longitude, or neither", "lat")

    @post_load
    def _normalise(self, data, **_):
        data["postcode"] = normalise_postcode(data.get("postcode"))
        return data


class PersonSchema(StrictSchema):
    role = fields.String(
        required=True,
        validate=validate.OneOf(
            [r.value for r in PersonRole],
            error="Choose a role: victim, subject, witness or household_member",
        ),
        error_messages={"required": "Choose the person's role"},
    )
    name = _text(200, "The person's name", required=True, min_len=2)
    is_group = StrictBoolean(load_default=False)
    date_of_birth = fields.Date(
        load_default=None,
        allow_none=True,
        validate=_past_date("Date of birth"),
        error_messages={"invalid": "Date of birth must be a real date, like 1958-03-02"},
    )
    age_band = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(AGE_BANDS, error="Choose an age band from the list"),
    )
    address = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=300, error="Address must be 300 characters or fewer"),
    )
    phone = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(
            r"^[0-9 +()-]{6,25}$", error="Enter a phone number, like 01946 123456"
        ),
    )
    email = fields.Email(
        load_default=None,
        allow_none=True,
        error_messages={"invalid": "Enter an email address, like name@example.org"},
    )
    vulnerabilities = fields.List(
        fields.String(
            validate=validate.OneOf(
                list(VULNERABILITIES),
                error="Unknown vulnerability: choose from " + ", ".join(VULNERABILITIES),
            )
        ),
        load_default=list,
    )

    @post_load
    def _tidy(self, data, **_):
        data["vulnerabilities"] = sorted(set(data["vulnerabilities"]))
        return data


class ConsentSchema(StrictSchema):
    given = StrictBoolean(
        required=True,
        error_messages={
            "required": "Say whether the person consented to the referral",
            "invalid": "Say whether the person consented to the referral",
        },
    )
    reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=2000, error="Reason must be 2,000 characters or fewer"),
    )

    @validates_schema
    def _reason_without_consent(self, data, **_):
        if data.get("given") is False and not (data.get("reason") or "").strip():
            raise ValidationError(
                "Enter the reason for referring without consent (for example, risk of harm)",
                "reason",
            )

    @post_load
    def _reason_only_without_consent(self, data, **_):
        # A reason for sharing without consent means nothing once consent is given.
        if data.get("given") is True:
            data["reason"] = None
        return data


UNKNOWN = "unknown"


class RiskAnswer(fields.Field):
    """A risk question's answer: JSON true (yes), false (no) or "unknown" (don't know). A
    "don't know" is scored as no and kept, so the coordinator sees what was not known."""

    default_error_messages = {
        "invalid": 'Answer yes (true), no (false) or don\'t know ("unknown")',
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if value is True or value is False or value == UNKNOWN:
            return value
        raise self.make_error("invalid")


# Built from the key list so the questions and the schema never drift apart.
RiskSchema = StrictSchema.from_dict(
    {key: RiskAnswer(load_default=False) for key in RISK_KEYS},
    name="RiskSchema",
)


class ReferralSchema(StrictSchema):
    hub = fields.String(
        required=True,
        validate=validate.Length(min=1, max=60, error="Unknown hub"),
        error_messages={"required": "Give the hub's short name (slug), like copeland"},
    )
    about = fields.String(
        required=True,
        validate=validate.OneOf([a.value for a in About], error="Choose person, problem or place"),
        error_messages={"required": "Say whether the referral is about a person, problem or place"},
    )
    category = fields.String(
        required=True,
        validate=validate.OneOf(
            [c.value for c in AsbCategory], error="Choose personal, nuisance or environmental"
        ),
        error_messages={"required": "Choose the ASB category"},
    )
    summary = _text(200, "A one-line summary", required=True, min_len=3)
    description = _text(10_000, "What is happening", required=True, min_len=10)
    first_incident_on = fields.Date(
        required=True,
        validate=_past_date("The date of the first incident"),
        error_messages={
            "required": "Enter the date of the first incident",
            "invalid": "The date of the first incident must be a real date, like 2026-08-01",
        },
    )
    incident_count = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(
            1, 10_000, error="Number of incidents must be between 1 and 10,000"
        ),
        error_messages={
            "required": "Enter the number of incidents",
            "invalid": "Number of incidents must be a whole number",
        },
    )
    location = fields.Nested(
        LocationSchema, required=True, error_messages={"required": "Enter where it is happening"}
    )
    people = fields.List(
        fields.Nested(PersonSchema),
        load_default=list,
        validate=validate.Length(
            max=MAX_PEOPLE, error=f"A referral can name up to {MAX_PEOPLE} people"
        ),
    )
    consent = fields.Nested(
        ConsentSchema,
        required=True,
        error_messages={"required": "Say whether the person consented to the referral"},
        # The OpenAPI document states the rule _reason_without_consent enforces.
        metadata={
            "oneOf": [
                {"properties": {"given": {"enum": [True]}}},
                {
                    "properties": {
                        "given": {"enum": [False]},
                        "reason": {"type": "string", "pattern": "\\S"},
                    },
                    "required": ["reason"],
                },
            ]
        },
    )
    risk = fields.Nested(RiskSchema, load_default=dict)
    # Classification by the hub's lists (referrals.classification), checked at intake.
    incident_category = fields.String(load_default=None, allow_none=True)
    asb_type = fields.String(load_default=None, allow_none=True)
    hate_strands = fields.List(fields.String(), load_default=list)
    crime_reference = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9][A-Za-z0-9/ -]{2,39}$",
            error="Enter the crime reference as the police gave it, like CR/2026/012345",
        ),
    )

    @validates_schema
    def _someone_when_about_a_person(self, data, **_):
        if data.get("about") == About.PERSON and not data.get("people"):
            raise ValidationError(
                "Name at least one person when the referral is about a person", "people"
            )

    @post_load
    def _defaults(self, data, **_):
        answers = dict.fromkeys(RISK_KEYS, False)
        answers.update(data.get("risk") or {})
        data["risk"] = {k: v is True for k, v in answers.items()}
        data["risk_unknown"] = sorted(k for k, v in answers.items() if v == UNKNOWN)
        return data


class DecisionSchema(StrictSchema):
    """A coordinator's triage decision."""

    decision = fields.String(
        required=True,
        validate=validate.OneOf(
            ["new_case", "added_to_case", "declined", "signposted"], error="Choose a decision"
        ),
        error_messages={"required": "Choose a decision"},
    )
    reason = fields.String(
        load_default="",
        validate=validate.Length(max=2000, error="Reason must be 2,000 characters or fewer"),
    )
    title = fields.String(
        load_default="",
        validate=validate.Length(max=200, error="Title must be 200 characters or fewer"),
    )
    case_id = fields.Integer(load_default=None, allow_none=True)
    agency_id = fields.Integer(load_default=None, allow_none=True)
    version = fields.Integer(load_default=None, allow_none=True)
    # The coordinator's band for the case, where it differs from the score's, and why.
    band = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(list(BANDS), error="Choose a band"),
    )
    band_reason = fields.String(
        load_default="",
        validate=validate.Length(max=2000, error="Reason must be 2,000 characters or fewer"),
    )

    @validates_schema
    def _needs(self, data, **_):
        d = data.get("decision")
        if data.get("band") and d not in ("new_case", "added_to_case"):
            raise ValidationError("Set a band only when opening or adding to a case", "band")
        if d in ("declined", "signposted") and not data.get("reason", "").strip():
            raise ValidationError("Enter the reason, which the referrer will see", "reason")
        if d == "new_case" and len(data.get("title", "").strip()) < 3:
            raise ValidationError(
                "Enter a short title for the case without names (3 to 200 characters)", "title"
            )
        if d == "added_to_case" and not data.get("case_id"):
            raise ValidationError("Choose the case to add this referral to", "case_id")
        if d == "signposted" and not data.get("agency_id"):
            raise ValidationError("Choose the agency to signpost to", "agency_id")
