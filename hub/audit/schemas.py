"""What the audit viewer's filters may be (marshmallow), with messages in plain words."""

from marshmallow import Schema, ValidationError, fields, validates_schema


class AuditFilterSchema(Schema):
    case = fields.String(load_default=None)  # a case reference
    user_id = fields.Integer(load_default=None, error_messages={"invalid": "Choose a person"})
    agency_id = fields.Integer(load_default=None, error_messages={"invalid": "Choose an agency"})
    action = fields.String(load_default=None)
    date_from = fields.Date(
        load_default=None, error_messages={"invalid": "Enter the from date as a real date"}
    )
    date_to = fields.Date(
        load_default=None, error_messages={"invalid": "Enter the to date as a real date"}
    )
    page = fields.Integer(load_default=1, error_messages={"invalid": "Choose a page"})

    @validates_schema
    def _range(self, data, **_):
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise ValidationError({"date_to": ["The to date must be on or after the from date"]})
        if data.get("page", 1) < 1:
            raise ValidationError({"page": ["Choose a page"]})
