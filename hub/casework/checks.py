"""What every write on a case checks (the data category its agreements cover, a stale form) and
how a saved value is shown when a stale form is refused."""

from collections.abc import Callable
from datetime import date, datetime

from marshmallow import ValidationError

from hub import permissions as perm
from hub.core.locking import StaleForm
from hub.models import (
    Case,
)

CASE_CHANGED = "The case changed since you opened the page. Check it and try again."


def check_category(user, case: Case, category: str, field: str = "category") -> None:
    """Partners record only what their own agreements cover, or they could not see it."""
    if category not in perm.shared_categories(user.agency_id, case.hub_id):
        raise ValidationError(
            {field: ["Your agency's information-sharing agreements do not cover this category"]}
        )


def stale_case(differences) -> Callable[[], StaleForm]:
    """The refusal of a stale save on a case: with what changed, field by field, so the page
    can show it beside what the user typed."""
    return lambda: StaleForm(CASE_CHANGED, differences=differences())


def diff(labels: dict[str, str], obj, data: dict) -> list[tuple[str, str, str]]:
    out = []
    for key, label in labels.items():
        saved = getattr(obj, key)
        typed = data.get(key)
        if show(saved) != show(typed):
            out.append((label, show(saved), show(typed)))
    return out


def show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)
