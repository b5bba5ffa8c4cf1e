"""How a hub classifies referrals, as data: its national incident categories, ASB types and hate
strands (referrals/classification.json is the default; a hub keeps its own lists in its scoring
settings). validate() checks one referral's classification against its hub's lists."""

import json
from dataclasses import dataclass
from pathlib import Path

from marshmallow import ValidationError
from sqlalchemy import select

from hub.extensions import db
from hub.models import HubScoringSettings

KINDS = ("incident_categories", "asb_types", "hate_strands")
_DEFAULT_DATA = json.loads((Path(__file__).parent / "classification.json").read_text("utf-8"))


class ClassificationError(ValueError):
    """A hub's classification data is not the expected shape; the message names the key."""


@dataclass(frozen=True)
class Classification:
    incident_categories: tuple[tuple[str, str], ...]  # (code, label)
    asb_types: tuple[tuple[str, str], ...]
    hate_strands: tuple[tuple[str, str], ...]

    @classmethod
    def from_dict(cls, data) -> "Classification":
        if not isinstance(data, dict):
            raise ClassificationError("classification: expected an object")
        lists = {}
        for kind in KINDS:
            rows = data.get(kind)
            if not isinstance(rows, list) or not rows:
                raise ClassificationError(f"classification.{kind}: expected a non-empty list")
            found = []
            for i, row in enumerate(rows):
                code, label = (
                    (row.get("code"), row.get("label")) if isinstance(row, dict) else (None, None)
                )
                if not (isinstance(code, str) and code and isinstance(label, str) and label):
                    raise ClassificationError(
                        f"classification.{kind}[{i}]: needs a code and a label"
                    )
                found.append((code, label))
            if len({c for c, _ in found}) != len(found):
                raise ClassificationError(f"classification.{kind}: codes must be unique")
            lists[kind] = tuple(found)
        return cls(**lists)

    def label(self, kind: str, code: str | None) -> str:
        return dict(getattr(self, kind)).get(code, code or "")


DEFAULT = Classification.from_dict(_DEFAULT_DATA)


def default_data() -> dict:
    """A copy of the default lists, to start a hub's own from."""
    return json.loads(json.dumps(_DEFAULT_DATA))


def for_settings(settings) -> Classification:
    """The hub's classification: its own lists, or the default."""
    data = getattr(settings, "classification", None)
    return Classification.from_dict(data) if data else DEFAULT


def validate(data: dict, found: Classification) -> None:
    """Raise ValidationError naming each field whose code the hub does not list."""
    errors = {}
    for field, kind, what in (
        ("incident_category", "incident_categories", "incident category"),
        ("asb_type", "asb_types", "ASB type"),
    ):
        code = data.get(field)
        if code is not None and code not in dict(getattr(found, kind)):
            errors[field] = [f"Choose an {what} this hub records"]
    strands = data.get("hate_strands") or []
    if any(s not in dict(found.hate_strands) for s in strands):
        errors["hate_strands"] = ["Choose hate strands from the hub's list"]
    if strands and not (data.get("risk") or {}).get("hate_motivated"):
        errors["hate_strands"] = ["Give a hate strand only when the behaviour is hate-motivated"]
    if errors:
        raise ValidationError(errors)


def for_hub(hub_id: int) -> Classification:
    settings = db.session.execute(
        select(HubScoringSettings).where(HubScoringSettings.hub_id == hub_id)
    ).scalar_one_or_none()
    return for_settings(settings)
