"""What Twilio calls: WhatsApp messages members send, and delivery states of ours.

Both are exempt from CSRF and rate limits (Twilio would log a 429 as a failure) but never from
the signature check: a request without a valid X-Twilio-Signature gets 403 and stores nothing.
"""
import logging

from flask import Blueprint, Response, abort, request
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from portal.extensions import csrf, db, limiter
from portal.forms import without_control
from portal.messaging import outbox, threads, whatsapp

bp = Blueprint("twilio", __name__, url_prefix="/twilio")
csrf.exempt(bp)
limiter.exempt(bp)
log = logging.getLogger(__name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@bp.before_request
def signed_by_twilio():
    if not whatsapp.signature_valid():
        log.warning("Twilio webhook %s refused: bad or missing signature", request.path)
        abort(403)


def posted() -> MultiDict:
    """What Twilio posted, without the characters no form accepts (PostgreSQL refuses NUL)."""
    return MultiDict([(key, without_control(value))
                      for key, value in request.form.items(multi=True)])


@bp.route("/whatsapp", methods=["POST"])
def incoming_message():
    try:
        threads.record_inbound(posted())
        db.session.commit()
    except IntegrityError:  # the same message delivered twice at once: the first one stands
        db.session.rollback()
    return Response(EMPTY_TWIML, mimetype="text/xml")


@bp.route("/statut", methods=["POST"])
def status_callback():
    form = posted()
    sid = (form.get("MessageSid") or "")[:64]
    state = (form.get("MessageStatus") or "").strip().lower()[:20]
    if sid and state:
        outbox.record_delivery(sid, state, (form.get("ErrorCode") or "")[:10] or None,
                               (form.get("ErrorMessage") or "")[:150] or None)
        db.session.commit()
    return Response(status=204)
