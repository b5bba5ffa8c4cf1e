"""What the administration forms may send (marshmallow), with messages in plain words."""

import re

from marshmallow import Schema, ValidationError, fields, validate, validates

from hub.models import AgencyKind

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class HubSchema(Schema):
    name = fields.String(
        required=True,
        validate=validate.Length(min=3, max=200, error="Enter a name of 3 to 200 characters"),
        error_messages={"required": "Enter the hub's name"},
    )
    slug = fields.String(
        required=True,
        validate=[
            validate.Length(min=2, max=60, error="Enter a short name of 2 to 60 characters"),
            validate.Regexp(
                SLUG, error="Use lower-case letters, numbers and hyphens only, like west-coast"
            ),
        ],
        error_messages={"required": "Enter a short name for web addresses"},
    )
    area = fields.String(load_default="", validate=validate.Length(max=200))


class LessonSharingSchema(Schema):
    shares_lessons = fields.String(
        required=True,
        validate=validate.OneOf(
            ["yes", "no"], error="Choose whether the hub shares its published lessons"
        ),
        error_messages={"required": "Choose whether the hub shares its published lessons"},
    )


class AgencySchema(Schema):
    name = fields.String(
        required=True,
        validate=validate.Length(min=3, max=200, error="Enter a name of 3 to 200 characters"),
        error_messages={"required": "Enter the agency's name"},
    )
    kind = fields.String(
        required=True,
        validate=validate.OneOf([k.value for k in AgencyKind], error="Choose the kind of agency"),
        error_messages={"required": "Choose the kind of agency"},
    )


class UserSchema(Schema):
    name = fields.String(
        required=True,
        validate=validate.Length(min=2, max=200, error="Enter a name of 2 to 200 characters"),
        error_messages={"required": "Enter the person's full name"},
    )
    email = fields.Email(
        required=True,
        error_messages={
            "required": "Enter an email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
    )
    agency_id = fields.Integer(
        required=True,
        error_messages={"required": "Choose an agency", "invalid": "Choose an agency"},
    )

    @validates("email")
    def _email_length(self, value, **_):
        if len(value) > 254:
            raise ValidationError("Email address must be 254 characters or fewer")
