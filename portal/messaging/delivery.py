"""How far a message has gone, in words for people: the state of its outbox row (e-mail or
WhatsApp), the provider's delivery state, and why an e-mail replaced a WhatsApp message."""
from flask_babel import lazy_gettext as _l

WHATSAPP_STATES = {
    "development": (_l("WhatsApp non envoyé (développement)"), "secondary"),
    "accepted": (_l("WhatsApp en file d'attente"), "secondary"),
    "scheduled": (_l("WhatsApp en file d'attente"), "secondary"),
    "queued": (_l("WhatsApp en file d'attente"), "secondary"),
    "sending": (_l("WhatsApp en cours d'envoi"), "secondary"),
    "sent": (_l("WhatsApp envoyé"), "info"),
    "delivered": (_l("WhatsApp distribué"), "success"),
    "read": (_l("WhatsApp lu"), "success"),
    "failed": (_l("WhatsApp en échec"), "danger"),
    "undelivered": (_l("WhatsApp non distribué"), "danger"),
    "canceled": (_l("WhatsApp annulé"), "danger"),
}
EMAIL_STATES = {
    "pending": (_l("e-mail en attente d'envoi"), "secondary"),
    "sending": (_l("e-mail en cours d'envoi"), "secondary"),
    "sent": (_l("e-mail envoyé"), "success"),
    "failed": (_l("e-mail non envoyé"), "danger"),
}
REASONS = {
    "window_closed": _l("hors de la fenêtre de 24 h de WhatsApp, sans modèle approuvé"),
    "no_phone": _l("pas de numéro WhatsApp"),
    "undelivered": _l("WhatsApp n'a pas pu le distribuer"),
    "refused": _l("refusé par WhatsApp"),
    "provider_down": _l("WhatsApp injoignable après plusieurs essais"),
}


def reason_label(reason: str | None):
    return REASONS.get(reason or "", reason)


def state(row) -> tuple[str, str] | None:
    """(label, Bootstrap colour) of an outbox row, or None when there is none."""
    if row is None:
        return None
    if row.channel == "email":
        label, colour = EMAIL_STATES.get(row.status, (row.status, "secondary"))
        if row.fallback_reason:
            return _l("%(state)s à la place de WhatsApp (%(reason)s)", state=label,
                      reason=reason_label(row.fallback_reason)), colour
        return label, colour
    if row.fallback_id is not None:
        return _l("remplacé par un e-mail (%(reason)s)",
                  reason=reason_label(row.fallback_reason)), "warning"
    if row.status == "pending":
        if row.attempts:
            return _l("WhatsApp : nouvel essai prévu"), "warning"
        return _l("WhatsApp en attente d'envoi"), "secondary"
    if row.status == "failed":
        return _l("WhatsApp en échec"), "danger"
    return WHATSAPP_STATES.get(row.delivery_status or "", (_l("WhatsApp envoyé"), "info"))


def not_delivered(row) -> bool:
    """Whether staff should look at it: failed, or replaced by an e-mail."""
    return row.status == "failed" or row.fallback_id is not None
