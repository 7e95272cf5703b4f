"""The staff view of one order: what the member sees, the staff actions allowed now (quote,
purchase, shipment, arrival and invoice, its correction, cancellation with a refund), internal
notes (never shown to members), the member's change requests, payments and the full history."""
from decimal import Decimal

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.messaging import threads
from portal.messaging.forms import HandOverForm, StaffMessageForm
from portal.money import amount_input, exponent
from portal.payments import refunds
from portal.payments.models import ProofStatus
from portal.payments.staff_forms import ArrivalForm, InvoiceForm, PurchaseForm, ShipmentForm
from portal.proforma import invoicing
from portal.proforma.quoting import can_quote
from portal.requests.logistics import add_arrival_photos
from portal.requests.logistics import record_purchase as purchase
from portal.requests.logistics import record_shipment as shipment
from portal.requests.models import Order, load_lists, load_order
from portal.security import staff_required
from portal.staff.forms import CANCEL_REASONS, NoteForm, StaffCancelForm
from portal.staff.models import AgencySettings, agency_today
from portal.staff.routes import bp
from portal.workflow import Status, WorkflowError, can_move


def staff_order(order_id: int) -> Order:
    order = load_order(order_id)
    # a member's cart is theirs until they send it
    if order is None or order.status == Status.DRAFT.value:
        abort(404)
    return order


# --- What staff may do now (the page shows exactly what the views accept) --------------------

def can_arrive(order, user) -> bool:
    return user.is_staff and Status(order.status) in invoicing.BEFORE_ARRIVAL


def can_correct(order, user) -> bool:
    return (user.is_staff and order.status == Status.ARRIVED.value
            and order.current_invoice is not None)


def currency_of(order) -> str:
    return refunds.currency_of(order) or AgencySettings.get().currency


def invoice_form(order, form_class=InvoiceForm, submitted: bool = False, invoice=None):
    """The arrival (or correction) form: weight, transport, adjustments; the page's blank
    one is filled from `invoice` for a correction."""
    options = {"currency": currency_of(order),
               "rate_per_kg": AgencySettings.get().transport_rate_per_kg}
    if submitted:
        return form_class(**options)
    form = form_class(formdata=None, **options)
    if invoice is not None:
        form.fill_from(invoice)
    return form


def cancel_form(order, submitted: bool = False) -> StaffCancelForm:
    """The cancel form, with refund fields required when the agency holds money."""
    held, today = refunds.money_held(order), agency_today()
    options = {"held": held, "currency": refunds.currency_of(order), "today": today}
    if submitted:
        return StaffCancelForm(**options)
    accepted = [p for p in order.proofs if p.status == ProofStatus.ACCEPTED.value]
    return StaffCancelForm(formdata=None, data={
        "refund": amount_input(held, options["currency"]) if held > 0 else "",
        "refund_method": accepted[-1].method_name if accepted else "",
        "refund_on": today}, **options)


def render_order(order: Order, status: int = 200, **forms):
    load_lists(order)
    user = current_user
    defaults = {
        "note_form": NoteForm,
        "cancel_form": lambda: cancel_form(order),
        "purchase_form": lambda: PurchaseForm(formdata=None),
        "shipment_form": lambda: ShipmentForm(formdata=None),
        "arrival_form": lambda: invoice_form(order, ArrivalForm),
        "correction_form": lambda: invoice_form(order, invoice=order.current_invoice),
        "message_form": lambda: StaffMessageForm(formdata=None,
                                                 channel=order.user.preferred_channel),
        "handover_form": lambda: HandOverForm(formdata=None, collected_by=order.user.full_name,
                                              how="delivered" if order.delivery_mode == "home"
                                              else "pickup"),
    }
    forms = {name: forms[name] if name in forms else make() for name, make in defaults.items()}
    return render_template(
        "staff/order.html", order=order, today=agency_today(),
        can_quote=can_quote(order, user),
        can_cancel=can_move(order, Status.CANCELLED, user),
        can_purchase=can_move(order, Status.PURCHASED, user),
        can_ship=can_move(order, Status.IN_TRANSIT, user),
        can_arrive=can_arrive(order, user), can_correct=can_correct(order, user),
        can_hand_over=can_move(order, Status.COMPLETED, user),
        held=refunds.money_held(order), settings=AgencySettings.get(),
        currency=currency_of(order), currency_exponent=exponent(currency_of(order)),
        cancel_reason_label=lambda code: dict(CANCEL_REASONS).get(code, code),
        kilograms=lambda grams: format_decimal(Decimal(grams) / 1000),
        **forms), status


def done(order: Order, message: str, category: str = "success"):
    db.session.commit()
    flash(message, category)
    return redirect(url_for("staff.order_detail", order_id=order.id))


def refused(order: Order, error: WorkflowError):
    db.session.rollback()
    flash(str(error.message), "danger")
    return redirect(url_for("staff.order_detail", order_id=order.id))


@bp.route("/commandes/<int:order_id>")
@staff_required
def order_detail(order_id: int):
    order = staff_order(order_id)
    page = render_order(order)
    if threads.mark_read(order, by_member=False):
        db.session.commit()
    return page


@bp.route("/commandes/<int:order_id>/notes", methods=["POST"])
@staff_required
def add_note(order_id: int):
    order = staff_order(order_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return render_order(order, note_form=form, status=422)
    threads.add_note(order, current_user, form.body.data)
    db.session.commit()
    flash(_("La note est ajoutée."), "success")
    return redirect(url_for("staff.order_detail", order_id=order.id, _anchor="echanges"))


@bp.route("/commandes/<int:order_id>/annuler", methods=["POST"])
@staff_required
def cancel_order(order_id: int):
    order = staff_order(order_id)
    form = cancel_form(order, submitted=True)
    if not form.validate_on_submit():
        return render_order(order, cancel_form=form, status=422)
    refund = None
    if form.refund_amount is not None:
        refund = refunds.RefundInput(form.refund_amount, form.refund_method.data,
                                     form.refund_on.data, form.refund_reference.data)
    try:
        refunds.cancel_order(order, current_user, form.reason.data, form.note.data, refund)
    except WorkflowError as error:
        return refused(order, error)
    return done(order, _("La commande %(ref)s est annulée ; le membre est prévenu.",
                         ref=order.reference), "info")


@bp.route("/commandes/<int:order_id>/achat", methods=["POST"])
@staff_required
def record_purchase(order_id: int):
    order = staff_order(order_id)
    form = PurchaseForm()
    if not form.validate_on_submit():
        return render_order(order, purchase_form=form, status=422)
    try:
        purchase(order, current_user, form.merchant_order_number.data)
    except WorkflowError as error:
        return refused(order, error)
    return done(order, _("Achat enregistré ; le membre est prévenu."))


@bp.route("/commandes/<int:order_id>/expedition", methods=["POST"])
@staff_required
def record_shipment(order_id: int):
    order = staff_order(order_id)
    form = ShipmentForm()
    if not form.validate_on_submit():
        return render_order(order, shipment_form=form, status=422)
    try:
        shipment(order, current_user, form.carrier.data, form.tracking_number.data,
                 form.tracking_url.data)
    except WorkflowError as error:
        return refused(order, error)
    return done(order, _("Expédition enregistrée ; le membre peut suivre son colis."))


@bp.route("/commandes/<int:order_id>/arrivee", methods=["POST"])
@staff_required
def record_arrival(order_id: int):
    order = staff_order(order_id)
    form = invoice_form(order, ArrivalForm, submitted=True)
    if not form.validate_on_submit():
        return render_order(order, arrival_form=form, status=422)
    try:
        invoice = invoicing.record_arrival(order, current_user, form.arrival)
        add_arrival_photos(order, form.cleaned_photos)
    except WorkflowError as error:
        return refused(order, error)
    return done(order, _("Arrivée enregistrée : la facture %(number)s est envoyée à %(name)s.",
                         number=invoice.number, name=order.user.full_name))


@bp.route("/commandes/<int:order_id>/facture/correction", methods=["POST"])
@staff_required
def correct_invoice(order_id: int):
    order = staff_order(order_id)
    form = invoice_form(order, submitted=True)
    if not form.validate_on_submit():
        return render_order(order, correction_form=form, status=422)
    try:
        invoice = invoicing.correct_invoice(order, current_user, form.arrival)
    except WorkflowError as error:
        return refused(order, error)
    return done(order, _("Facture corrigée : avoir émis et nouvelle facture %(number)s envoyée.",
                         number=invoice.number))
