"""The staff view of one order: what the member sees, staff actions, notes and history."""
from flask import render_template

from portal.extensions import db
from portal.requests.models import Order
from portal.security import staff_required
from portal.staff.routes import bp


@bp.route("/commandes/<int:order_id>")
@staff_required
def order_detail(order_id: int):
    order = db.get_or_404(Order, order_id)
    return render_template("staff/order.html", order=order)
