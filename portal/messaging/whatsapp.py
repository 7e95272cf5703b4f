"""The WhatsApp channel, through Twilio: sending one outbox row, the 24-hour window, delivery
states reported by status callbacks, the webhook signature and the media members send.

Without TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (development) a row is recorded as
"development" and nothing leaves. Errors that retrying cannot cure (a number that is not on
WhatsApp, a refused request) raise `Undeliverable`, so the outbox sends the e-mail instead;
anything else (Twilio down, a timeout) is retried by the outbox with back-off.
"""
import json
import logging
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from flask import current_app, request
from sqlalchemy import func, select
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from portal.clock import utcnow
from portal.extensions import db
from portal.links import external_url
from portal.messaging.models import OrderMessage, ThreadChannel

log = logging.getLogger(__name__)
WINDOW = timedelta(hours=24)
# Message kinds that may need an approved template (a Content SID each, in the settings).
KINDS = ("status_changed", "document_issued", "pickup_ready", "pickup_reminder",
         "staff_message")
DEVELOPMENT = "development"
FAILED_STATES = frozenset({"failed", "undelivered"})
# How far a message has gone: a callback never moves it back (replays change nothing). A
# failure can follow "sent" but not "delivered" or "read": a late one after those is ignored.
PROGRESS = {"accepted": 1, "scheduled": 1, "queued": 1, "sending": 2, "sent": 3,
            "failed": 4, "undelivered": 4, "canceled": 4, "delivered": 5, "read": 6}
# Twilio error codes after which sending again can work: queue overflow, unknown error,
# WhatsApp rate limit.
RETRYABLE_ERRORS = frozenset({"30001", "30008", "63018"})
TWILIO_HOST = "api.twilio.com"
# HTTP answers worth trying again: our credentials or account (fixable by an operator) and
# rate limits; any other 4xx means this message will never go.
RETRY_STATUSES = frozenset({401, 403, 404, 429})


class Undeliverable(Exception):
    """WhatsApp cannot carry this message; sending it again would not help."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(detail or reason)
        self.reason = reason


def configured() -> bool:
    config = current_app.config
    return bool(config["TWILIO_ACCOUNT_SID"] and config["TWILIO_AUTH_TOKEN"])


def address(phone: str) -> str:
    return f"whatsapp:{phone}"


def last_heard(user):
    """When the member last wrote to us on WhatsApp (None if never)."""
    query = select(func.max(OrderMessage.created_at)).where(
        OrderMessage.channel == ThreadChannel.WHATSAPP.value, OrderMessage.from_member,
        OrderMessage.author_id == user.id)
    return db.session.scalar(query)


def window_open(user) -> bool:
    """Whether free text may go: the member wrote on WhatsApp less than 24 hours ago."""
    heard = last_heard(user)
    return heard is not None and utcnow() - heard < WINDOW


def template_for(kind: str) -> str | None:
    from portal.staff.models import AgencySettings

    return (AgencySettings.get().whatsapp_templates or {}).get(kind) or None


def client() -> Client:
    config = current_app.config
    http = TwilioHttpClient(timeout=config["TWILIO_TIMEOUT"])
    twilio = Client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], http_client=http)
    if config["TWILIO_API_BASE_URL"]:
        twilio.api.base_url = config["TWILIO_API_BASE_URL"]
    return twilio


def send(row) -> None:
    """Hand one outbox row to Twilio; raise on failure (Undeliverable when final)."""
    if not configured():
        row.delivery_status = DEVELOPMENT
        log.warning("WhatsApp to %s recorded, not sent (no Twilio credentials): %s",
                    row.recipient, row.body_text)
        return
    _choose_form(row)
    try:
        message = client().messages.create(**_parameters(row))
    except TwilioRestException as error:
        if error.status is None or error.status >= 500 or error.status in RETRY_STATUSES:
            raise
        raise Undeliverable("refused", f"Twilio {error.status} {error.code}: {error.msg}") from error
    row.provider_sid = message.sid
    row.delivery_status = message.status or "queued"
    row.delivery_error = None


def _choose_form(row) -> None:
    """Free text only inside the 24-hour window; else the approved template, else e-mail."""
    if row.content_sid or window_open(row.user):
        return
    content_sid = template_for(row.kind)
    if content_sid is None:
        raise Undeliverable("window_closed", "outside the 24-hour window, no template")
    row.content_sid = content_sid
    row.content_variables = row.content_variables or {}


def _parameters(row) -> dict:
    parameters = {"to": row.recipient, "from_": current_app.config["TWILIO_WHATSAPP_FROM"],
                  "status_callback": external_url("twilio.status_callback")}
    if row.content_sid:
        parameters["content_sid"] = row.content_sid
        parameters["content_variables"] = json.dumps(row.content_variables or {})
    else:
        parameters["body"] = row.body_text
    return parameters


# --- What Twilio tells us ---------------------------------------------------------------------

def signature_valid() -> bool:
    """Whether the current request carries Twilio's signature of our public URL and its form."""
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    return RequestValidator(token).validate(url, request.form, signature)


def progress(state: str | None) -> int:
    return PROGRESS.get(state or "", 0)


def retryable(error_code: str | None) -> bool:
    return (error_code or "") in RETRYABLE_ERRORS


# --- Media sent by members --------------------------------------------------------------------

def media_host_allowed(url: str) -> bool:
    """Media are fetched only from Twilio (or the configured API base), never elsewhere."""
    parts = urlsplit(url)
    allowed = {TWILIO_HOST}
    if current_app.config["TWILIO_API_BASE_URL"]:
        allowed.add(urlsplit(current_app.config["TWILIO_API_BASE_URL"]).netloc)
    return parts.scheme in ("https", "http") and parts.netloc in allowed and (
        parts.scheme == "https" or parts.netloc != TWILIO_HOST)


def download_media(url: str) -> bytes:
    """Fetch one media file (Twilio asks for the account's credentials); at most the upload
    limit. Raises ValueError for a URL we do not fetch from, OSError-like errors otherwise."""
    if not media_host_allowed(url):
        raise ValueError("media URL outside Twilio")
    config = current_app.config
    limit = config["MAX_CONTENT_LENGTH"]
    # B113 is a false positive: bandit only sees literal timeouts; this one is TWILIO_TIMEOUT (10 s default).
    response = requests.get(url, auth=(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"]),
                            timeout=config["TWILIO_TIMEOUT"], stream=True)  # nosec B113
    with response:
        response.raise_for_status()
        data = b""
        for chunk in response.iter_content(64 * 1024):
            data += chunk
            if len(data) > limit:
                raise ValueError("media too large")
    return data
