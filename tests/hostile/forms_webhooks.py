"""What Twilio forwards (signed): the WhatsApp messages members write, and the delivery
states of ours. A member's message cannot be refused without losing it: what no form accepts
(NUL and other control characters, bidi overrides) is dropped and the rest kept as received,
shown escaped; a delivery state that cannot be read is ignored."""
from sqlalchemy import select

from portal.extensions import db
from portal.messaging.models import OrderMessage, OutboxMessage
from tests.hostile import corpus as c
from tests.hostile import fields as f
from tests.hostile.harness import Accepted, Form, Ignored, Page
from tests.hostile.world import OWNER_PHONE, SENT_SID

INBOUND_SID = "SM" + "9" * 32


def received(world) -> dict:
    message = db.session.scalar(select(OrderMessage).where(
        OrderMessage.provider_sid == INBOUND_SID))
    return {"Body": message.body, "From": message.sender, "MessageSid": message.provider_sid,
            "MediaUrl0": (message.media or [{}])[0].get("url")}


def thread_page(world) -> str:
    message = db.session.scalar(select(OrderMessage).where(
        OrderMessage.provider_sid == INBOUND_SID))
    return f"/equipe/commandes/{message.order_id}" if message.order_id else "/equipe/messages"


def delivery(world) -> dict:
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.id == world.whatsapp_row))
    return {"ErrorMessage": row.delivery_error, "MessageSid": row.provider_sid}


INBOUND = Form("whatsapp_inbound", "webhook", "twilio", "/twilio/whatsapp",
               lambda w: {"MessageSid": INBOUND_SID, "From": f"whatsapp:{OWNER_PHONE}",
                          "Body": "Bonjour", "NumMedia": "0"},
               stored=received, echoes=(Page("staff", thread_page),))
STATUS = Form("whatsapp_status", "webhook", "twilio", "/twilio/statut",
              lambda w: {"MessageSid": SENT_SID, "MessageStatus": "undelivered",
                         "ErrorCode": "63016", "ErrorMessage": "Hors fenêtre"},
              stored=delivery, echoes=(Page("staff", "/equipe/envois?statut=failed"),))

CASES = [
    *f.values(INBOUND, "Body", {"script": c.SCRIPT, "img-onerror": c.IMG_ONERROR,
                                "font-markup": c.FONT_MARKUP, "crlf": c.CRLF, "emoji": c.EMOJI,
                                "nul": c.NUL, "escape": c.ESCAPE, "rtl-override": c.RTL_OVERRIDE,
                                "20000-chars": "A" * 20_000},
              Accepted(), overrides={"nul": Accepted("ab"), "escape": Accepted("[31mrouge"),
                                     "rtl-override": Accepted("gnp.exe"),
                                     "20000-chars": Accepted("A" * 10_000)}),
    *f.values(INBOUND, "From", {"nul": f"whatsapp:{OWNER_PHONE}\x00", "script": c.SCRIPT},
              Accepted(), overrides={"nul": Accepted(f"whatsapp:{OWNER_PHONE}")},
              echoes=()),
    *f.values(INBOUND, "MessageSid", {"nul": "SM\x00" + "9" * 32}, Accepted(INBOUND_SID),
              echoes=()),
    *f.values(INBOUND, "NumMedia", {"alpha": "abc", "negative": "-3", "overflow": "1e309",
                                    "huge": c.IDS["huge"]}, Ignored()),
    *f.values(INBOUND, "MediaUrl0", {"javascript": "javascript:alert(1)",
                                     "nul": "https://api.twilio.com/x\x00"},
              Accepted(), extra={"NumMedia": "1", "MediaContentType0": "image/png"},
              overrides={"nul": Accepted("https://api.twilio.com/x")}, echoes=()),
    *f.values(STATUS, "ErrorMessage", {"script": c.SCRIPT, "nul": "Hors\x00 fenêtre"},
              Accepted("63016 " + c.SCRIPT), overrides={"nul": Accepted("63016 Hors fenêtre")}),
    *f.values(STATUS, "MessageSid", {"nul": SENT_SID + "\x00", "script": c.SCRIPT}, Ignored(),
              overrides={"nul": Accepted(SENT_SID)}, echoes=()),
    *f.values(STATUS, "MessageStatus", {"script": c.SCRIPT, "nul": "failed\x00"}, Ignored()),
]
