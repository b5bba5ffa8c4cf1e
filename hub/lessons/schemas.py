"""What the lessons' forms may send (marshmallow), with messages in plain words."""

import re

from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate

from hub.models.casework import EVALUATION_OUTCOMES, INTERVENTION_TYPES
from hub.models.lessons import PLACE_TYPES
from hub.models.referral import AsbCategory


def _text(message: str | None = None, max_length: int = 5000):
    if message:
        return fields.String(
            required=True,
            validate=validate.Length(min=1, max=max_length, error=message),
            error_messages={"required": message},
        )
    return fields.String(
        load_default="",
        validate=validate.Length(max=max_length, error=f"Use {max_length} characters or fewer"),
    )


def _choice(options, message: str):
    return fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(list(options), error=message),
    )


TEXT_FIELDS = ("title", "problem", "context", "people_roles", "tried", "worked", "not_worked")


class LessonSchema(Schema):
    title = _text("Give the lesson a title (up to 200 characters)", 200)
    problem = _text("Describe the problem (up to 5000 characters)")
    context = _text()
    people_roles = _text()
    tried = _text()
    worked = _text("Say what worked (up to 5000 characters)")
    not_worked = _text()
    asb_category = _choice([c.value for c in AsbCategory], "Choose the problem's category")
    place_type = _choice(PLACE_TYPES, "Choose the kind of place")
    outcome = _choice(EVALUATION_OUTCOMES, "Choose the outcome")
    interventions = fields.List(
        fields.String(validate=validate.OneOf(list(INTERVENTION_TYPES))),
        load_default=list,
        error_messages={"invalid": "Choose interventions and powers from the list"},
    )
    tags = fields.String(
        load_default="",
        validate=validate.Length(max=300, error="Use 300 characters or fewer for the tags"),
    )
    confirm = fields.List(
        fields.String(validate=validate.Regexp(r"^[0-9a-f]{20}$")), load_default=list
    )
    version = fields.Raw(load_default=None)  # checked by hub.core.locking
    submit = fields.String(load_default=None)  # "1": check and send for review

    @pre_load
    def _blank_is_none(self, data, **_):
        data = dict(data)
        for key in ("asb_category", "place_type", "outcome"):
            if data.get(key) == "":
                data[key] = None
        return data

    @post_load
    def _tags(self, data, **_):
        """Tags as short lower-case words, comma separated on the form."""
        tags = []
        for raw in data["tags"].split(","):
            tag = re.sub(r"[^a-z0-9 -]", "", raw.strip().lower())[:40].strip()
            if tag and tag not in tags:
                tags.append(tag)
        if len(tags) > 12:
            raise ValidationError("Use 12 tags or fewer", "tags")
        data["tags"] = tags
        return data


class LibraryFilters(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=200))
    category = _choice([c.value for c in AsbCategory], "Choose a category")
    intervention = _choice(INTERVENTION_TYPES, "Choose an intervention")
    outcome = _choice(EVALUATION_OUTCOMES, "Choose an outcome")
    tag = fields.String(load_default="", validate=validate.Length(max=40))
    order = fields.String(
        load_default="relevance", validate=validate.OneOf(["relevance", "evidence", "newest"])
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    # "Include lessons shared by other hubs" (a checkbox: "1" when ticked).
    shared = fields.Boolean(
        load_default=False,
        truthy={"1"},
        falsy={"", "0"},
        error_messages={"invalid": "Tick the box to include other hubs' lessons, or leave it"},
    )

    @pre_load
    def _blank_is_none(self, data, **_):
        data = {k: v for k, v in dict(data).items() if k in self.fields}
        for key in ("category", "intervention", "outcome"):
            if data.get(key) == "":
                data[key] = None
        return data
