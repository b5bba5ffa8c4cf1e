"""Passwords, API tokens, request ids and the security headers on every response."""

import hashlib
import json
import logging
import re
import secrets
import time
import uuid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Request, abort, current_app, g, request
from sqlalchemy import inspect as sa_inspect

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# A real hash to verify against when the account does not exist, so timing reveals nothing.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

TOKEN_PREFIX = "fh_"  # noqa: S105 - a prefix, not a secret
MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """What is wrong with a new password, in words a person understands, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
    if len(password) > 200:
        return "Password must be 200 characters or fewer"
    return None


def new_api_token() -> tuple[str, str, str]:
    """(token shown once, its prefix for lists, its SHA-256 for storage).

    Tokens carry 256 bits of randomness, so a fast hash is enough to store them safely."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token[:10], hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Content Security Policy: no inline script or style anywhere, nothing from another origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,40}$")
request_log = logging.getLogger("hub.request")


class HubRequest(Request):
    """A view that takes file uploads names, in its `max_content_length` attribute, the
    setting that sets its larger limit; every other request keeps MAX_CONTENT_LENGTH. Read
    when the body is (CSRF checks read it before the view), so the limit is the view's."""

    @property
    def max_content_length(self) -> int | None:
        view = current_app.view_functions.get(self.endpoint) if self.url_rule else None
        setting = getattr(view, "max_content_length", None)
        return current_app.config[setting] if setting else current_app.config["MAX_CONTENT_LENGTH"]


def init_app(app: Flask) -> None:
    app.request_class = HubRequest

    def _start_request():
        _name_request()
        g.request_started = time.perf_counter()
        # Refuse an oversized body before any view or authentication reads it.
        limit = request.max_content_length
        if request.content_length is not None and request.content_length > limit:
            abort(413)

    # First of all: the rate limit, CSRF and session checks registered before it are timed and
    # named in the request log too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)

    @app.after_request
    def _headers_and_log(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["SESSION_COOKIE_SECURE"]:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if not request.path.startswith("/static/"):
            # Pages hold personal data: never keep them in a shared or back-button cache.
            h.setdefault("Cache-Control", "no-store")
        if "request_id" not in g:
            # The request failed before _start_request ran (in a before_request put ahead of
            # it): logged all the same, or a 500 there would leave no trace in the request log.
            _name_request()
            g.request_started = None
        h["X-Request-ID"] = g.request_id
        if request_log.isEnabledFor(logging.INFO):
            _log_request(response)
        return response


def _name_request() -> None:
    """The request's id: the caller's (a proxy's), when it sent a sound one, or a new one."""
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def _log_request(response) -> None:
    # flask-login keeps the user it loaded on g; a request that never needed one logs none.
    # Read the id from the identity map: the view's commit has expired the object, and
    # reading an attribute would load the user again just to write this line.
    state = sa_inspect(g.get("_login_user"), raiseerr=False)
    user_id = state.identity[0] if state is not None and state.identity else None
    request_log.info(
        json.dumps(
            {
                "event": "request",
                "request_id": g.request_id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "ms": None
                if g.request_started is None
                else round((time.perf_counter() - g.request_started) * 1000, 1),
                "user_id": user_id,
                "remote_addr": request.remote_addr,
            }
        )
    )
