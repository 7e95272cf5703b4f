"""The staff view of one order: what the member sees, the staff actions allowed now, internal
notes (never shown to members), the member's change requests and the full history."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.messaging import threads
from portal.proforma.quoting import can_quote
from portal.requests import ordering
from portal.requests.models import Order
from portal.security import staff_required
from portal.staff.forms import CANCEL_REASONS, NoteForm, StaffCancelForm
from portal.staff.models import agency_today
from portal.staff.routes import bp
from portal.workflow import Status, WorkflowError, can_move


def staff_order(order_id: int) -> Order:
    order = db.get_or_404(Order, order_id)
    if order.status == Status.DRAFT.value:  # a member's cart is theirs until they send it
        abort(404)
    return order


def render_order(order: Order, note_form=None, cancel_form=None, status: int = 200):
    return render_template(
        "staff/order.html", order=order, today=agency_today(),
        can_quote=can_quote(order, current_user),
        can_cancel=can_move(order, Status.CANCELLED, current_user),
        note_form=note_form or NoteForm(), cancel_form=cancel_form or StaffCancelForm(),
        cancel_reason_label=lambda code: dict(CANCEL_REASONS).get(code, code)), status


@bp.route("/commandes/<int:order_id>")
@staff_required
def order_detail(order_id: int):
    return render_order(staff_order(order_id))


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
    form = StaffCancelForm()
    if not form.validate_on_submit():
        return render_order(order, cancel_form=form, status=422)
    try:
        ordering.cancel_order(order, current_user, note=form.note.data, reason=form.reason.data)
    except WorkflowError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(_("La commande %(ref)s est annulée ; le membre est prévenu.", ref=order.reference),
              "info")
    return redirect(url_for("staff.order_detail", order_id=order.id))
