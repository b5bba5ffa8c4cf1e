"""What every write on a case checks (the data category its agreements cover, a stale form) and
how a saved value is shown when a stale form is refused."""

from collections.abc import Callable
from datetime import date, datetime

from marshmallow import ValidationError
from sqlalchemy import select

from hub import permissions as perm
from hub.core.locking import StaleForm
from hub.extensions import db
from hub.models import (
    Case,
    HubAgency,
    RecordRestriction,
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


NOT_COVERED = (
    "Your agency's information-sharing agreements in this hub do not cover incident data, "
    "which the plan and actions are: ask your hub manager"
)


def check_working_records(user, case: Case) -> None:
    """Refuse a write to the plan or an action by an agency whose agreements do not cover
    them (hub.permissions: working records)."""
    if not perm.can_read_working_records(user, case, perm.Action.WRITE):
        raise ValidationError({"form": [NOT_COVERED]})


def restriction(case: Case, data: dict, actor, what: str = "it") -> set[int] | None:
    """The agencies a record is restricted to (data["sharing"], data["restricted_to"]), or None
    when every member agency may see it. Only the hub's partners may be named; the originating
    agency always sees its own, so it is never listed."""
    if data["sharing"] != "restricted":
        return None
    chosen = set(data["restricted_to"])
    if not chosen:
        raise ValidationError(
            {"restricted_to": [f"Choose at least one agency that may see {what}"]}
        )
    in_hub = set(
        db.session.execute(
            select(HubAgency.agency_id).where(
                HubAgency.hub_id == case.hub_id, HubAgency.agency_id.in_(chosen)
            )
        ).scalars()
    )
    if in_hub != chosen:
        raise ValidationError(
            {"restricted_to": ["Choose only agencies that are partners in this hub"]}
        )
    return chosen - {actor.agency_id}


def restrict(record, agency_ids: set[int] | None) -> None:
    """Keep a record's need-to-know list (after the record is flushed and has its id)."""
    for agency_id in sorted(agency_ids or ()):
        db.session.add(
            RecordRestriction(
                record_type=record.record_type, record_id=record.id, agency_id=agency_id
            )
        )
