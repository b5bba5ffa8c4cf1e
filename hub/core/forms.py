"""Marshmallow's error messages in the shape GOV.UK's error summary and fields want."""

from collections.abc import Mapping


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
