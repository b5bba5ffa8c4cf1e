"""What no request may bring in, refused with a clear 400 before any view runs: NUL bytes and
lone surrogates (neither can be stored: PostgreSQL refuses them in text, and they are no
character anyone types), JSON nested deeper than any form of ours, and ids too large for the
database's integers. A value out of range that still reaches the database is answered the
same way, never with a 500.
"""

from flask import Flask, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL's integer; SQLite's is larger
MAX_DEPTH = 32

CHARACTERS = (
    "Some of what you sent has characters that cannot be stored (a NUL byte or a broken "
    "character). Remove them and try again. Nothing was saved."
)


class IdConverter(IntegerConverter):
    """<int:…> in a route matches only ids the database can hold: a larger number is simply a
    page that does not exist (404), not a database error."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _unstorable(text: str) -> bool:
    return "\x00" in text or any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def _walk(value, depth: int = 0):
    """Raise BadRequest for JSON too deep or holding a string that cannot be stored."""
    if depth > MAX_DEPTH:
        raise BadRequest("The JSON sent is nested too deeply.")
    if isinstance(value, str):
        if _unstorable(value):
            raise BadRequest(CHARACTERS)
    elif isinstance(value, dict):
        for key, inner in value.items():
            _walk(key, depth + 1)
            _walk(inner, depth + 1)
    elif isinstance(value, list):
        for inner in value:
            _walk(inner, depth + 1)


def check_request() -> None:
    for part in (request.path, *request.args.values(), *request.form.values()):
        if _unstorable(part):
            raise BadRequest(CHARACTERS)
    for upload in request.files.values():
        if upload.filename and _unstorable(upload.filename):
            raise BadRequest(CHARACTERS)
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:
            raise BadRequest("The JSON sent is nested too deeply.") from None
        _walk(body)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter
    app.before_request(check_request)
