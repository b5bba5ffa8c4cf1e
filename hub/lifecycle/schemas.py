"""What the retention page's form may send (marshmallow), with messages in plain words."""

from marshmallow import Schema, fields, validate

# A period shorter than a month would end records before a complaint about them could be
# made; one longer than 25 years is far more likely a slip (240 for 24) than a policy, and a
# case that must be kept longer is put under a legal hold instead.
MIN_MONTHS, MAX_MONTHS = 1, 300
RANGE = f"Enter a number of months from {MIN_MONTHS} to {MAX_MONTHS}"


def periods_schema(labels: dict[str, str]) -> Schema:
    """A schema for the hub's periods, one whole number of months per key, and the version of
    the periods the form was opened at."""
    months = {
        key: fields.Integer(
            required=True,
            strict=False,
            validate=validate.Range(min=MIN_MONTHS, max=MAX_MONTHS, error=RANGE),
            error_messages={
                "required": f"Enter the months to keep {label.lower()} records",
                "invalid": "Enter the months as a whole number, like 24",
            },
        )
        for key, label in labels.items()
    }
    # The version is checked by hub.core.locking, which refuses anything but the current one.
    return Schema.from_dict(months | {"version": fields.Raw(load_default=None)})()
