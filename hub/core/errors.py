"""Errors: JSON for the API, a GOV.UK-style page for people. Never a stack trace, never a
hint of whether something the user may not see exists."""

import logging
import sqlite3

from flask import Flask, current_app, g, jsonify, make_response, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from hub.core import signals
from hub.extensions import db

log = logging.getLogger("hub.errors")

CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}

PAGE_TEXT = {
    400: ("There is a problem with your request", "The request could not be understood."),
    403: ("You cannot do that", "Your account does not allow this."),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. If you followed a link, the page "
        "may have moved, or you may not have access to it.",
    ),
    405: ("There is a problem with your request", "That action is not available here."),
    413: (
        "What you sent is too large",
        "Requests are limited to 1 MB. Nothing was saved. Go back and send less.",
    ),
    429: (
        "Too many attempts",
        "You have made too many requests in a short time. Wait a minute, then try again.",
    ),
    500: (
        "Sorry, there is a problem with the service",
        "Nothing you sent was saved. Try again later.",
    ),
    503: ("Sorry, the service is unavailable", "Try again later."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def flatten_fields(messages) -> dict:
    """webargs nests messages under the location ('json', 'query'); callers want fields."""
    if not isinstance(messages, dict):
        return {}
    if set(messages) <= {"json", "query", "form", "headers", "files", "view_args"}:
        merged = {}
        for part in messages.values():
            if isinstance(part, dict):
                merged.update(part)
        return merged
    return messages


def api_error(status: int, message: str, fields: dict | None = None, code: str | None = None):
    body = {"error": {"code": code or CODES.get(status, "error"), "message": message}}
    if fields:
        body["error"]["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    return response


def handle_http_exception(exc: HTTPException):
    response = _error_response(exc)
    if getattr(exc, "valid_methods", None):  # a 405 says what is allowed (RFC 9110)
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _error_response(exc: HTTPException):
    status = exc.code or 500
    if wants_json():
        data = getattr(exc, "data", None) or {}
        fields = flatten_fields(data.get("messages"))
        message = data.get("message") or (exc.description if status != 500 else None)
        if fields and status in (400, 422):
            message = "The request has errors: see fields."
        return api_error(status, message or CODES.get(status, "Error"), fields)
    title, text = PAGE_TEXT.get(status, PAGE_TEXT[400] if status < 500 else PAGE_TEXT[500])
    if status == 400 and exc.description != BadRequest.description:
        text = exc.description  # our own words about what was wrong
    if status == 413:
        # The limit of the view asked (an upload's is larger than a form's), in whole MB.
        limit = max(1, (request.max_content_length or 0) // (1024 * 1024))
        text = f"Requests here are limited to {limit} MB. Nothing was saved. Go back and send less."
    if isinstance(exc, CSRFError):
        _audit_csrf_refusal()
        title = "Your form could not be sent"
        text = (
            "The page had expired or the form was not sent from this service, so nothing was "
            "saved. Go back, reload the page and try again."
        )
    return make_response(
        render_template("errors/error.html", title=title, text=text, status=status), status
    )


def _audit_csrf_refusal() -> None:
    """A form without this session's token: an expired page, or a request replayed from
    someone else's session. Either way it is refused and recorded (issue 4) by hub.audit."""
    signals.csrf_refused.send(
        current_app._get_current_object(),
        user=current_user if current_user.is_authenticated else None,
        method=request.method,
        path=request.path,
    )


OUT_OF_RANGE = (
    "Something you sent is out of range (a number too large, or a date too far away), so it "
    "could not be stored. Check it and try again. Nothing was saved."
)


UNREACHABLE = (
    "The hub cannot reach its database just now, so nothing you sent was saved. Try again in "
    "a minute."
)
STORAGE_FULL = (
    "The hub has run out of storage space, so nothing you sent was saved. Tell your system "
    "administrator, then try again."
)


# SQLite's SQLITE_FULL; PostgreSQL's ENOSPC when it extends a file or writes its WAL.
_FULL = ("database or disk is full", "no space left on device", "could not extend file")


def _reasons(exc: BaseException) -> list[str]:
    """The first line of each error in the chain. SQLite rolls a transaction back itself on
    SQLITE_FULL, so the error that reaches us may be the failed ROLLBACK TO SAVEPOINT that
    followed, with the full disk as its context."""
    out, seen = [], set()
    while exc is not None and id(exc) not in seen and len(out) < 5:
        seen.add(id(exc))
        text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        if text:
            out.append(text[0])
        exc = exc.__cause__ or exc.__context__
    return out


def database_unavailable(exc: Exception):
    """The database went away (stopped, restarted, the network dropped, the pool ran dry) or
    its disk is full: a 503 that says so, never a 500. The transaction is rolled back, so no
    part of the request's change is kept; the pool pings each connection before reuse
    (pool_pre_ping), so the hub recovers by itself once the database is back."""
    reasons = _reasons(exc)
    log.error("database unavailable: %s", " <- ".join(reasons) or type(exc).__name__)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; the pool discards it
        log.debug("rollback on a lost connection failed", exc_info=True)
    full = any(sign in r.lower() for r in reasons for sign in _FULL)
    text = STORAGE_FULL if full else UNREACHABLE
    if wants_json():
        response = api_error(503, text)
    else:
        # Not render_template: the shell's context asks the database who is signed in.
        page = current_app.jinja_env.get_template("errors/unavailable.html").render(
            title=PAGE_TEXT[503][0], text=text, request_id=g.get("request_id", "")
        )
        response = make_response(page, 503)
    response.headers["Retry-After"] = "30"
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    # sqlite3's own OperationalError: raised where the hub talks to the driver directly
    # (taking SQLite's write lock, hub.core.database), outside SQLAlchemy's wrapping.
    for kind in (OperationalError, InterfaceError, PoolTimeout, sqlite3.OperationalError):
        app.register_error_handler(kind, database_unavailable)

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def _out_of_range(exc):  # the database, or date arithmetic, refused a value: not a bug
        db.session.rollback()
        return handle_http_exception(BadRequest(OUT_OF_RANGE))

    @app.errorhandler(Exception)
    def _unexpected(exc):  # a bug: log it with the request id, tell the person plainly
        log.exception("unhandled error")
        db.session.rollback()
        return handle_http_exception(InternalServerError())
