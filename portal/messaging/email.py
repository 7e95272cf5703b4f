"""The e-mail channel: one outbox row becomes one message.

Sent with the standard library's smtplib (with a timeout, so a silent server cannot hang a
worker). With no MAIL_SERVER configured the message is written as an .eml file under
MAIL_FILE_DIR and its links are logged, so development needs no mail server.
"""
import logging
import os
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

from portal import storage

log = logging.getLogger(__name__)
LINK = re.compile(r"https?://\S+")


def build_message(row) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"outbox-{row.id}")
    message.set_content(row.body_text)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    for attachment in row.attachments or []:
        maintype, subtype = attachment["content_type"].split("/", 1)
        message.add_attachment(storage.read(attachment["key"]), maintype=maintype,
                               subtype=subtype, filename=attachment["filename"])
    return message


def send(row) -> None:
    """Deliver one outbox row; raise on any failure so the outbox can retry."""
    message = build_message(row)
    if current_app.config["MAIL_SERVER"]:
        _send_smtp(message)
    else:
        _write_file(row, message)


def _send_smtp(message: EmailMessage) -> None:
    config = current_app.config
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        if config["MAIL_USE_TLS"]:
            client.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            client.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        client.send_message(message)


def _write_file(row, message: EmailMessage) -> None:
    folder = current_app.config["MAIL_FILE_DIR"]
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{row.id:06d}-{row.kind}.eml")
    with open(path, "wb") as handle:
        handle.write(message.as_bytes())
    base = current_app.config["PUBLIC_BASE_URL"]
    links = [link for link in LINK.findall(row.body_text) if link.startswith(base)]
    log.warning("Mail to %s written to %s; links: %s", row.recipient, path, " ".join(links))
