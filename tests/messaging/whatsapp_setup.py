"""The people, orders and conversations the WhatsApp tests start from, and Twilio's signed
webhook requests. Call the builders inside an app context; they commit and return ids.
"""
import json
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select
from twilio.request_validator import RequestValidator

from portal.clock import utcnow
from portal.extensions import db
from portal.messaging.models import OrderMessage, OutboxMessage
from tests.factories import make_order, make_user
from tests.messaging.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, WHATSAPP_FROM
from tests.messaging.rows import detached_all
from tests.proforma.conftest import set_agency

PHONE = "+2250701020304"
MEMBER, STAFF = "awa@example.com", "moussa@agence.example"
PUBLIC = "http://localhost"  # PUBLIC_BASE_URL of the tests' app
TEMPLATE_SID = "HX" + "fedcba9876543210" * 2


def people(**member_fields) -> SimpleNamespace:
    """Awa (member, +2250701020304, WhatsApp preferred) with a submitted order, and Moussa
    (staff)."""
    set_agency()
    member = make_user(MEMBER, **({"full_name": "Awa Koné", "phone": PHONE,
                                  "preferred_channel": "whatsapp"} | member_fields))
    staff = make_user(STAFF, role="staff", full_name="Moussa Traoré", phone=None)
    order = make_order(member, "submitted", reference="DEM-2026-00042")
    return SimpleNamespace(member=member.id, staff=staff.id, order=order.id,
                           reference=order.reference)


def heard_from(member_id: int, order_id: int | None, hours_ago: float,
               body: str = "Bonjour, où en est ma commande ?") -> None:
    """The member wrote on WhatsApp (about the order) `hours_ago` hours ago: the 24-hour window
    runs from there."""
    from portal.members.models import User

    member = db.session.get(User, member_id)
    db.session.add(OrderMessage(order_id=order_id, author=member, kind="message", body=body,
                                channel="whatsapp", from_member=True,
                                created_at=utcnow() - timedelta(hours=hours_ago)))
    db.session.commit()


def time_passes(hours: float) -> None:
    """Move every message of the threads `hours` into the past (the window closes)."""
    for message in db.session.scalars(select(OrderMessage)):
        message.created_at -= timedelta(hours=hours)
    db.session.commit()


def templates(**content_sids) -> None:
    """Approved templates in the agency settings: {kind: Content SID}."""
    set_agency(whatsapp_templates=content_sids)


def rows(channel: str | None = None) -> list[OutboxMessage]:
    """The outbox rows (of a channel), oldest first, detached."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if channel:
        query = query.where(OutboxMessage.channel == channel)
    return detached_all(query)


def due_now() -> None:
    """The back-off is over: every pending row may be tried again now."""
    for row in db.session.scalars(select(OutboxMessage)):
        row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def variables_of(recorded) -> dict:
    return json.loads(recorded.form["ContentVariables"])


# --- Twilio calling us ------------------------------------------------------------------------

def signature(path: str, params: dict, base: str = PUBLIC, token: str = AUTH_TOKEN) -> str:
    """The X-Twilio-Signature Twilio sends for a POST of `params` to `base` + `path`."""
    return RequestValidator(token).compute_signature(base + path, params)


SIGN = object()  # twilio_posts: sign the request as Twilio would


def twilio_posts(client, path: str, params: dict, signed: dict | None = None,
                 base: str = PUBLIC, header=SIGN):
    """POST `params` to `path` as Twilio would: signed, by default, with `signed` (the params
    themselves unless given) for `base` + `path`; `header` None sends no X-Twilio-Signature,
    a string sends that one instead."""
    if header is SIGN:
        header = signature(path, params if signed is None else signed, base)
    headers = {} if header is None else {"X-Twilio-Signature": header}
    return client.post(path, data=params, headers=headers)


def inbound(sid: str = "SM" + "1" * 32, sender: str = PHONE, body: str = "Bonjour Moussa",
            **extra) -> dict:
    """The form of a WhatsApp message Twilio forwards to /twilio/whatsapp."""
    return {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": ACCOUNT_SID,
            "From": f"whatsapp:{sender}", "To": WHATSAPP_FROM, "Body": body, "NumMedia": "0",
            "ProfileName": "Awa", "WaId": sender.lstrip("+"), "ApiVersion": "2010-04-01",
            **extra}


def status(sid: str, state: str, **extra) -> dict:
    """The form of a status callback Twilio sends to /twilio/statut."""
    return {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT_SID, "MessageStatus": state,
            "SmsStatus": state, "To": f"whatsapp:{PHONE}", "From": WHATSAPP_FROM,
            "ApiVersion": "2010-04-01", "ChannelPrefix": "whatsapp", **extra}
