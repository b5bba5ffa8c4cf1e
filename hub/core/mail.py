"""Email. Messages carry no personal data about cases: only a short notice and a link.

Notices about a change wait for its commit (queue_mail): a write that is rolled back never
announces itself.

With MAIL_SERVER unset (development), messages are written to the log instead of sent; tests
set MAIL_BACKEND=memory and read app.extensions["mail_outbox"]."""

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app, has_request_context, url_for
from sqlalchemy import event
from sqlalchemy.orm import Session

from hub.extensions import db

log = logging.getLogger("hub.mail")
_QUEUE = "hub_mail"  # the session.info key of emails waiting for the commit


def send(to: str, subject: str, body: str) -> None:
    cfg = current_app.config
    message = EmailMessage()
    message["From"] = cfg["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if cfg.get("MAIL_BACKEND") == "memory":
        current_app.extensions.setdefault("mail_outbox", []).append(message)
        return
    if not cfg["MAIL_SERVER"]:
        # The plain text, not the MIME form: quoted-printable folds long lines with "=", and a
        # developer copying a password or sign-in link from the log got a broken one.
        log.info(
            "email (not sent: MAIL_SERVER is unset)\nTo: %s\nSubject: %s\n\n%s",
            to,
            subject,
            body,
        )
        return
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=10) as smtp:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(message)


def external_url(endpoint: str, **values) -> str:
    """A link for an email: BASE_URL and the page's path. Works in a request and outside one
    (the scheduler, the command line)."""
    if not has_request_context():
        with current_app.test_request_context():
            return external_url(endpoint, **values)
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def queue_mail(to: str, subject: str, body: str) -> None:
    """Send once the current transaction commits; drop it if the transaction rolls back."""
    db.session.info.setdefault(_QUEUE, []).append((to, subject, body))


@event.listens_for(Session, "after_commit")
def _send_queued_mail(session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (SQLAlchemy fires after_commit for it): not the commit
    for to, subject, body in session.info.pop(_QUEUE, []):
        try:
            send(to, subject, body)
        except OSError:  # the change is saved; a mail server outage must not undo or hide it
            log.exception("a notice email could not be sent")


@event.listens_for(Session, "after_rollback")
def _drop_queued_mail(session) -> None:
    if session.in_nested_transaction():
        return  # only a savepoint rolled back: what was queued before it still stands
    session.info.pop(_QUEUE, None)
