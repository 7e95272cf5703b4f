"""What staff do with a request: save a quote draft, preview it, issue (or revise) the proforma.

Issuing freezes a numbered, versioned Proforma with a snapshot of everything the document
shows, renders the PDF, stores it, moves the order `submitted → quoted` (a revision leaves the
status alone), and tells the member (in-app, and an e-mail with the PDF attached).
Functions flush; views commit.
"""
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import numbering, storage, workflow
from portal.clock import local_today, utcnow
from portal.extensions import db
from portal.messaging import order_news
from portal.proforma.forms import QuoteInput
from portal.proforma.models import Proforma, ProformaStatus, QuoteDraft
from portal.proforma.pdf import render_proforma
from portal.staff.models import AgencySettings, PaymentMethod
from portal.templating import phone_display
from portal.workflow import Status, WorkflowError

QUOTABLE = frozenset({Status.SUBMITTED, Status.QUOTED})
PDF = "application/pdf"


def can_quote(order, user) -> bool:
    """Staff may price a request, and revise its proforma until a deposit proof is sent."""
    return user.is_staff and Status(order.status) in QUOTABLE


# --- The snapshot a document shows ------------------------------------------------------

def company_snapshot(settings: AgencySettings) -> dict:
    return {"name": settings.company_name, "address": settings.company_address,
            "phone": phone_display(settings.company_phone),
            "whatsapp": phone_display(settings.company_whatsapp),
            "email": settings.company_email,
            "identifiers": [list(pair) for pair in settings.legal_identifiers],
            "legal_mentions": settings.legal_mentions, "logo_key": settings.logo_key}


def customer_snapshot(order) -> dict:
    member = order.user
    return {"name": member.full_name, "email": member.email, "phone": phone_display(member.phone),
            "company_name": member.company_name,
            "company_registration": member.company_registration,
            "address": order.delivery_address}


def _lines(quote) -> tuple[list[dict], list[dict]]:
    priced = [{"item_id": line.item_id, "name": line.name, "url": line.url,
               "details": line.details, "quantity": line.quantity,
               "unit_price": line.unit_price, "total": line.total}
              for line in quote.available_lines]
    missing = [{"item_id": line.item_id, "name": line.name, "url": line.url,
                "details": line.details, "quantity": line.quantity,
                "reason": line.unavailable_reason} for line in quote.unavailable_lines]
    return priced, missing


def snapshot(order, given: QuoteInput, settings: AgencySettings,
             number: str | None = None, version: int | None = None) -> dict:
    """Everything the proforma shows, as plain values (what the PDF and the page read)."""
    quote, totals = given.quote, given.quote.totals()
    priced, missing = _lines(quote)
    methods = db.session.scalars(select(PaymentMethod).where(
        PaymentMethod.id.in_(given.payment_method_ids or [0]))
        .order_by(PaymentMethod.position, PaymentMethod.name))
    point = order.pickup_point
    return {
        "kind": "proforma", "reference": order.reference, "number": number, "version": version,
        "issued_on": local_today(settings.timezone).isoformat(),
        "valid_until": given.valid_until.isoformat(),
        "currency": settings.currency, "locale": settings.locale,
        "company": company_snapshot(settings), "customer": customer_snapshot(order),
        "delivery": {"mode": order.delivery_mode,
                     "pickup_point": point.name if order.delivery_mode == "pickup" and point
                     else None},
        "lines": priced, "unavailable": missing,
        "fees": [{"kind": fee.kind, "label": fee.label, "amount": fee.amount}
                 for fee in quote.fees],
        "subtotal": totals.subtotal, "fees_total": totals.fees_total, "total": totals.total,
        "deposit": totals.deposit, "balance": totals.balance,
        "deposit_percent": quote.deposit.value if quote.deposit.mode == "percent" else None,
        "payment_methods": [{"name": m.name, "instructions": m.instructions} for m in methods],
        "message": given.message,
    }


# --- Staff verbs ------------------------------------------------------------------------

def render_for(order, content: dict) -> bytes:
    """The PDF in the member's language (amounts and dates follow the agency's locale)."""
    with force_locale(order.user.locale or "fr"):
        return render_proforma(content)


def preview_pdf(order, given: QuoteInput) -> bytes:
    """The PDF the member would receive, marked as a preview; nothing is saved."""
    return render_for(order, snapshot(order, given, AgencySettings.get()))


def save_draft(order, fields: dict, actor) -> QuoteDraft:
    """Keep what was typed in the editor (form fields as sent) to finish later."""
    draft = db.session.get(QuoteDraft, order.id) or QuoteDraft(order_id=order.id)
    draft.fields = fields
    draft.updated_at = utcnow()
    draft.updated_by_id = actor.id
    db.session.add(draft)
    db.session.flush()
    return draft


def draft_of(order) -> QuoteDraft | None:
    return db.session.get(QuoteDraft, order.id)


def issue_proforma(order, given: QuoteInput, actor) -> Proforma:
    """Freeze the quote as the next proforma version, store its PDF and tell the member."""
    workflow.lock(order)
    if not can_quote(order, actor):
        raise WorkflowError(_l("Cette commande ne peut plus recevoir de proforma."))
    settings = AgencySettings.get()
    previous = order.current_proforma
    if given.base_version != (previous.version if previous else 0):
        raise WorkflowError(_l("Une autre personne vient d'émettre une proforma pour cette "
                               "commande. Rechargez la page pour partir de sa version."))
    number = previous.number if previous else numbering.next_reference("PF")
    version = previous.version + 1 if previous else 1
    content = snapshot(order, given, settings, number, version)
    proforma = _new_proforma(order, content, given, actor)
    if previous:
        previous.status = ProformaStatus.SUPERSEDED.value
    db.session.add(proforma)
    db.session.flush()
    proforma.pdf_key = storage.save(render_for(order, content), "proformas", "pdf")
    _forget_draft(order)
    if order.status == Status.SUBMITTED.value:
        workflow.advance(order, Status.QUOTED, actor, proforma=proforma, announce=False)
    _tell_member(order, proforma)
    return proforma


def _new_proforma(order, content: dict, given: QuoteInput, actor) -> Proforma:
    return Proforma(order=order, number=content["number"], version=content["version"],
                    status=ProformaStatus.ISSUED.value, currency=content["currency"],
                    subtotal=content["subtotal"], fees_total=content["fees_total"],
                    total=content["total"], deposit_due=content["deposit"],
                    balance_due=content["balance"], valid_until=given.valid_until,
                    content=content, issued_at=utcnow(), issued_by_id=actor.id)


def _forget_draft(order) -> None:
    draft = draft_of(order)
    if draft is not None:
        db.session.delete(draft)


def attachment_of(proforma: Proforma) -> dict:
    return {"key": proforma.pdf_key, "filename": proforma.filename, "content_type": PDF}


def _tell_member(order, proforma: Proforma) -> None:
    if proforma.version == 1:
        notice = _l("Votre proforma %(number)s pour la commande %(ref)s est prête.",
                    number=proforma.number, ref=order.reference)
    else:
        notice = _l("Nouvelle version (%(version)d) de votre proforma %(number)s pour la "
                    "commande %(ref)s.", version=proforma.version, number=proforma.number,
                    ref=order.reference)
    order_news.document_issued(order, "proforma_issued", notice, attachment_of(proforma),
                               proforma=proforma, content=proforma.content)


# --- Member side --------------------------------------------------------------------------

def payable(proforma: Proforma | None, today) -> bool:
    """A deposit may be paid against the proforma in force while it is valid."""
    return proforma is not None and not proforma.is_superseded and not proforma.is_expired(today)
