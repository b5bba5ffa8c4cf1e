"""Email. Messages carry no personal data about cases: only a short notice and a link.

With MAIL_SERVER unset (development), messages are written to the log instead of sent; tests
set MAIL_BACKEND=memory and read app.extensions["mail_outbox"]."""

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app, has_request_context, url_for

log = logging.getLogger("hub.mail")


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
        log.info("email (not sent: MAIL_SERVER is unset)\n%s", message.as_string())
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
