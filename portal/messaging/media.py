"""Files members send on WhatsApp: fetched from Twilio when staff first open them, judged and
cleaned like any uploaded proof (payments/files.py), then kept in storage; staff may attach one
to the order as a payment proof."""
import io
import logging

import requests
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.attributes import flag_modified

from portal import storage
from portal.extensions import db
from portal.messaging import whatsapp
from portal.payments.files import CleanProof, RejectedFile, inspect_proof

log = logging.getLogger(__name__)


def item(message, index: int) -> dict | None:
    media = message.media or []
    return media[index] if 0 <= index < len(media) else None


def stored(message, index: int) -> tuple[bytes, str]:
    """(bytes, content type) of a media file, fetched and cleaned the first time (flush)."""
    entry = item(message, index)
    if entry is None:
        raise RejectedFile(_l("Cette pièce jointe n'existe pas."))
    if entry.get("key"):
        return storage.read(entry["key"]), entry["stored_type"]
    clean = _fetch_clean(entry["url"])
    entry["key"] = storage.save(clean.data, "whatsapp", clean.extension)
    entry["stored_type"] = clean.content_type
    flag_modified(message, "media")
    db.session.flush()
    return clean.data, clean.content_type


def as_proof(message, index: int) -> CleanProof:
    """The media file as a proof ready for `proofs.submit_proof`."""
    data, _content_type = stored(message, index)
    return inspect_proof(io.BytesIO(data), current_app.config["MAX_CONTENT_LENGTH"])


def mark_attached(message, index: int, proof) -> None:
    message.media[index]["proof_id"] = proof.id
    flag_modified(message, "media")
    db.session.flush()


def _fetch_clean(url: str) -> CleanProof:
    try:
        data = whatsapp.download_media(url)
    except (requests.RequestException, ValueError) as error:
        log.warning("WhatsApp media %s not fetched: %s", url, error)
        raise RejectedFile(_l("Impossible de récupérer ce fichier chez WhatsApp pour le "
                              "moment. Réessayez plus tard.")) from error
    return inspect_proof(io.BytesIO(data), current_app.config["MAX_CONTENT_LENGTH"])
