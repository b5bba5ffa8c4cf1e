"""What the sharing area's forms may send (marshmallow), with messages in plain words."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from hub.models import (
    DataCategory,
    IsaStatus,
    MembershipRoute,
)


class SignatorySchema(Schema):
    agency_id = fields.Integer(required=True, error_messages={"invalid": "Choose an agency"})
    signed_by = fields.String(
        required=True,
        validate=validate.Length(min=2, max=200, error="Enter the signing officer's name"),
        error_messages={"required": "Enter the signing officer's name"},
    )
    signed_on = fields.Date(
        required=True,
        error_messages={
            "required": "Enter the date it was signed",
            "invalid": "Enter the date it was signed as a real date",
        },
    )


class IsaSchema(Schema):
    reference = fields.String(
        required=True,
        validate=validate.Length(min=2, max=40, error="Enter a reference of 2 to 40 characters"),
        error_messages={"required": "Enter the agreement's reference"},
    )
    title = fields.String(
        required=True,
        validate=validate.Length(min=3, max=200, error="Enter a title of 3 to 200 characters"),
        error_messages={"required": "Enter a title"},
    )
    purpose = fields.String(
        required=True,
        validate=validate.Length(min=3, max=5000, error="Enter the purpose of the sharing"),
        error_messages={"required": "Enter the purpose of the sharing"},
    )
    legal_basis = fields.String(
        required=True,
        validate=validate.Length(min=3, max=5000, error="Enter the legal basis"),
        error_messages={"required": "Enter the legal basis (s115 and the data-protection basis)"},
    )
    status = fields.String(
        required=True,
        validate=validate.OneOf([s.value for s in IsaStatus], error="Choose a status"),
        error_messages={"required": "Choose a status"},
    )
    starts_on = fields.Date(
        required=True,
        error_messages={
            "required": "Enter the start date",
            "invalid": "Start date must be a real date",
        },
    )
    review_on = fields.Date(
        load_default=None, error_messages={"invalid": "Review date must be a real date"}
    )
    expires_on = fields.Date(
        load_default=None, error_messages={"invalid": "Expiry date must be a real date"}
    )
    categories = fields.List(
        fields.String(
            validate=validate.OneOf(
                [c.value for c in DataCategory], error="Choose data categories from the list"
            )
        ),
        load_default=list,
    )
    signatories = fields.List(fields.Nested(SignatorySchema), load_default=list)

    @validates_schema
    def _dates_and_lists(self, data, **_):
        errors = {}
        starts, expires, review = (
            data.get("starts_on"),
            data.get("expires_on"),
            data.get("review_on"),
        )
        if starts and expires and expires <= starts:
            errors["expires_on"] = ["Expiry date must be after the start date"]
        if starts and review and review < starts:
            errors["review_on"] = ["Review date must be on or after the start date"]
        if not data.get("categories"):
            errors["categories"] = ["Choose at least one data category"]
        ids = [s["agency_id"] for s in data.get("signatories", [])]
        if len(ids) != len(set(ids)):
            errors["signatories"] = ["Each agency signs once"]
        if errors:
            raise ValidationError(errors)


class MemberSchema(Schema):
    agency_id = fields.Integer(
        required=True,
        error_messages={"required": "Choose an agency", "invalid": "Choose an agency"},
    )
    route = fields.String(
        required=True,
        validate=validate.OneOf(
            [MembershipRoute.TRIAGE, MembershipRoute.CONFERENCE, MembershipRoute.HUB_MANAGER],
            error="Choose how the agency is being added",
        ),
        error_messages={"required": "Choose how the agency is being added"},
    )
    reason = fields.String(
        required=True,
        validate=validate.Length(min=3, max=2000, error="Enter why the agency is being added"),
        error_messages={"required": "Enter why the agency is being added"},
    )
