"""Outgoing email over SMTP (host, port, STARTTLS and sign-in from the configuration)."""

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app


class MailError(Exception):
    """A message was not handed to the mail server; the text says why (it is logged)."""


def mail_configured() -> bool:
    config = current_app.config
    return bool(config.get("SMTP_HOST") and config.get("MAIL_FROM"))


def send_mail(*, to: str, subject: str, body: str) -> str:
    """Send one plain-text message; returns its Message-ID. Raises MailError on any failure,
    including a missing configuration, so the caller can record the result either way."""
    config = current_app.config
    if not config.get("SMTP_HOST"):
        raise MailError("email is not configured (SMTP_HOST is not set)")
    if not config.get("MAIL_FROM"):
        raise MailError("email is not configured (MAIL_FROM is not set)")
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies stay away
    message.set_content(body)
    try:
        with smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=config["SMTP_TIMEOUT"]) as smtp:
            if config.get("SMTP_STARTTLS"):
                context = ssl.create_default_context(cafile=config.get("SMTP_CA_FILE") or None)
                smtp.starttls(context=context)
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD", ""))
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}"[:500]) from exc
    return message["Message-ID"]
