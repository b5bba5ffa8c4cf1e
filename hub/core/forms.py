"""Marshmallow's error messages in the shape GOV.UK's error summary and fields want, and the
one way a blueprint runs a change a form asked for (attempt)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from flask import request
from marshmallow import ValidationError, validate
from sqlalchemy.orm.exc import StaleDataError

from hub.core.locking import StaleForm
from hub.extensions import db

# Dates the hub deals in. A year like 9999 is a slip or a probe, and arithmetic on it (the
# day after, a deadline) would fail: refuse it with the field's message instead.
EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)
SENSIBLE_DATE = validate.Range(min=EARLIEST, max=LATEST, error="Enter a date between 1900 and 2199")


def sensible(day: date) -> bool:
    return EARLIEST <= day <= LATEST


def form_data(*, lists: tuple[str, ...] = ("restricted_to",), keep_blank: bool = False) -> dict:
    """The posted form as a service takes it: values trimmed, the CSRF token dropped, blank
    fields left out (unless keep_blank), and the fields that send several values as lists."""
    data = {k: v.strip() for k, v in request.form.items() if k != "csrf_token"}
    if not keep_blank:
        data = {k: v for k, v in data.items() if v != ""}
    for name in lists:
        if name in request.form:
            data[name] = request.form.getlist(name)
    return data


def _flatten(messages, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = f"{prefix}-{key}" if prefix else str(key)
            if key == "_schema":
                name = prefix or "form"
            flat.update(_flatten(value, name))
    elif isinstance(messages, list | tuple) and messages:
        if all(isinstance(m, str) for m in messages):
            flat[prefix] = messages[0]  # GOV.UK shows one message per field
        else:
            for i, m in enumerate(messages):
                flat.update(_flatten(m, f"{prefix}-{i}"))
    elif isinstance(messages, str):
        flat[prefix] = messages
    return flat


class FormErrors:
    """Field id → first message, in form order. Field ids use '-' for nesting (people-0-name)."""

    def __init__(self, messages=None):
        self.by_field = _flatten(messages or {})

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def get(self, field: str) -> str | None:
        return self.by_field.get(field)

    def message(self, field: str) -> dict | None:
        """For a govuk macro's errorMessage parameter."""
        text = self.by_field.get(field)
        return {"text": text} if text else None

    def summary(self) -> list[dict]:
        """For govukErrorSummary's errorList: each links to its field."""
        return [{"text": text, "href": f"#{field}"} for field, text in self.by_field.items()]


@dataclass
class Attempt:
    """What came of a change a form asked for: its result, or why it was refused."""

    result: object = None
    messages: dict = field(default_factory=dict)  # marshmallow's, field -> messages
    stale: StaleForm | None = None  # refused because the form was opened before another save

    def __bool__(self) -> bool:
        return not self.messages

    @property
    def errors(self) -> FormErrors:
        """For the page: the GOV.UK error summary and each field's message."""
        return FormErrors(self.messages)


def attempt(change: Callable, *args, commit: bool = True, **kwargs) -> Attempt:
    """Run a service's change for a form, all or nothing. Refused (marshmallow
    ValidationError, a StaleForm among them): the transaction is rolled back, so nothing is
    half-written, and its messages are kept for the page. Otherwise it is committed (unless
    commit=False: a read, or a caller with more to do) and its result kept."""
    try:
        result = change(*args, **kwargs)
        if commit:
            db.session.commit()
    except StaleDataError:
        # Another save to the same record landed between this one's version check and its
        # write (SQLAlchemy's version counter matched no row): refused as stale, never a 500.
        db.session.rollback()
        stale = StaleForm()
        return Attempt(messages=stale.messages, stale=stale)
    except ValidationError as exc:
        db.session.rollback()
        messages = exc.messages if isinstance(exc.messages, dict) else {"form": exc.messages}
        return Attempt(messages=messages, stale=exc if isinstance(exc, StaleForm) else None)
    return Attempt(result=result)
