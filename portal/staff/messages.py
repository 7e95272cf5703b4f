"""Staff side of the threads and of handing goods over: writing to a member (portal, e-mail or
WhatsApp), the inbox of unread and unassigned messages, WhatsApp media (shown, or attached to
the order as a payment proof), finding an order by its pickup code, and the hand-over."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.extensions import db
from portal.messaging import delivery, media, threads
from portal.messaging.forms import (
    FileMessageForm,
    HandOverForm,
    MediaProofForm,
    PickupLookupForm,
    StaffMessageForm,
)
from portal.messaging.models import OrderMessage
from portal.payments import proofs
from portal.payments.files import RejectedFile
from portal.payments.forms import awaited_proof_form
from portal.payments.routes import private_file
from portal.requests import pickup
from portal.requests.models import Order
from portal.security import staff_required
from portal.staff.order_page import done, refused, render_order, staff_order
from portal.staff.routes import bp
from portal.workflow import Status, WorkflowError


@bp.route("/commandes/<int:order_id>/messages", methods=["POST"])
@staff_required
def post_message(order_id: int):
    order = staff_order(order_id)
    form = StaffMessageForm()
    if not form.validate_on_submit():
        return render_order(order, message_form=form, status=422)
    message = threads.staff_writes(order, current_user, form.body.data, form.channel.data)
    db.session.commit()
    flash(sent_how(message), "success" if not fell_back(message) else "warning")
    return redirect(url_for("staff.order_detail", order_id=order.id, _anchor="echanges"))


def fell_back(message) -> bool:
    return message.outbox is not None and message.outbox.fallback_reason is not None


def sent_how(message) -> str:
    if fell_back(message):
        return _("WhatsApp impossible (%(reason)s) : le message part par e-mail.",
                 reason=delivery.reason_label(message.outbox.fallback_reason))
    return _("Le message est envoyé au membre.")


# --- Inbox ------------------------------------------------------------------------------------

@bp.route("/messages")
@staff_required
def inbox():
    return render_template("staff/inbox.html", waiting=threads.orders_with_unread(),
                           unassigned=threads.unassigned(), file_form=FileMessageForm(formdata=None))


def media_message(message_id: int) -> OrderMessage:
    """A received message that carries media, else 404."""
    message = db.get_or_404(OrderMessage, message_id)
    if not message.media:
        abort(404)
    return message


@bp.route("/messages/<int:message_id>/classer", methods=["POST"])
@staff_required
def file_message(message_id: int):
    message = db.get_or_404(OrderMessage, message_id)
    form = FileMessageForm()
    order = None
    if form.validate_on_submit():
        order = db.session.scalar(select(Order).where(
            Order.reference == form.reference.data.strip().upper()))
        if order is None:
            form.reference.errors.append(_("Aucune commande ne porte cette référence."))
    if order is None:
        return render_template("staff/inbox.html", waiting=threads.orders_with_unread(),
                               unassigned=threads.unassigned(), file_form=form,
                               failed_id=message_id), 422
    try:
        threads.file_to_order(message, order)
    except threads.ThreadError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(url_for("staff.inbox"))
    db.session.commit()
    flash(_("Le message est rattaché à la commande %(ref)s.", ref=order.reference), "success")
    return redirect(url_for("staff.order_detail", order_id=order.id, _anchor="echanges"))


@bp.route("/messages/<int:message_id>/media/<int:index>")
@staff_required
def message_media(message_id: int, index: int):
    message = media_message(message_id)
    try:
        data, content_type = media.stored(message, index)
    except RejectedFile as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(back_to(message))
    db.session.commit()
    disposition = "inline" if content_type.startswith("image/") else "attachment"
    extension = content_type.rsplit("/", 1)[-1]
    return private_file(data, content_type, disposition, f"whatsapp-{message.id}-{index + 1}."
                        f"{extension}")


def back_to(message) -> str:
    if message.order_id:
        return url_for("staff.order_detail", order_id=message.order_id, _anchor="echanges")
    return url_for("staff.inbox")


@bp.route("/messages/<int:message_id>/media/<int:index>/preuve", methods=["GET", "POST"])
@staff_required
def media_as_proof(message_id: int, index: int):
    message = media_message(message_id)
    order = message.order
    entry = media.item(message, index)
    if order is None or entry is None or entry.get("proof_id"):
        abort(404)
    if not proofs.can_send_proof(order, order.user):
        flash(_("Cette commande n'attend pas de paiement pour le moment."), "warning")
        return redirect(back_to(message))
    kind, document, due, form = awaited_proof_form(order, MediaProofForm)
    if form.validate_on_submit():
        try:
            attach(message, index, form)
        except RejectedFile as error:
            db.session.rollback()
            flash(str(error.message), "danger")
        except WorkflowError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
            return redirect(back_to(message))
        else:
            db.session.commit()
            flash(_("La preuve est jointe à la commande : elle attend sa vérification."),
                  "success")
            return redirect(url_for("payments.proof_queue"))
    return render_template("staff/media_proof.html", message=message, index=index, order=order,
                           form=form, kind=kind, due=due, document=document), (
        422 if form.is_submitted() else 200)


def attach(message, index: int, form) -> None:
    clean = media.as_proof(message, index)
    comment = _("Reçue sur WhatsApp ; jointe par %(name)s.", name=current_user.full_name)
    if form.comment.data:
        comment = f"{comment} {form.comment.data}"
    proof = proofs.submit_proof(message.order, message.order.user, clean, form.amount,
                                form.method, form.paid_on.data, form.transaction_ref.data,
                                comment[:1000])
    media.mark_attached(message, index, proof)


# --- Handing the goods over -------------------------------------------------------------------

@bp.route("/retrait")
@staff_required
def pickup_lookup():
    form = PickupLookupForm(request.args)
    order = None
    if request.args and form.validate():
        order = pickup.find_by_code(form.code.data)
        if order is None:
            form.code.errors.append(_("Aucune commande ne porte ce code."))
    handover_form = HandOverForm(formdata=None, collected_by=order.user.full_name
                                 if order else None)
    return render_template("staff/pickup.html", form=form, order=order,
                           handover_form=handover_form)


@bp.route("/commandes/<int:order_id>/remise", methods=["POST"])
@staff_required
def hand_over(order_id: int):
    order = staff_order(order_id)
    form = HandOverForm()
    if order.status != Status.READY.value:
        flash(_("Cette commande n'est pas prête à être remise."), "warning")
        return redirect(url_for("staff.order_detail", order_id=order.id))
    if not form.validate_on_submit():
        return render_order(order, handover_form=form, status=422)
    try:
        pickup.hand_over(order, current_user, form.collected_by.data,
                         delivered=form.how.data == "delivered")
    except WorkflowError as error:
        return refused(order, error)
    return done(order, _("La commande %(ref)s est remise : elle est terminée.",
                         ref=order.reference))
