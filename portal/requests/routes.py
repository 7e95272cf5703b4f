"""The member's pages: partner shops, the cart, the request, the dashboard and order pages."""
from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from portal import storage
from portal.extensions import db
from portal.members.models import Address
from portal.messaging import threads
from portal.messaging.forms import MessageForm
from portal.payments import proofs
from portal.requests import ordering, pickup
from portal.requests.forms import AddressChoiceForm, CancelForm, ItemEditForm, ItemForm, SubmitForm
from portal.requests.models import (
    MAX_ITEMS,
    Order,
    OrderItem,
    PartnerShop,
    load_lists,
    load_order,
)
from portal.security import page_number
from portal.staff.models import TermsVersion, active_pickup_points, agency_today
from portal.workflow import Status, WorkflowError, can_move

bp = Blueprint("requests", __name__)


def own_order(order_id: int) -> Order:
    """An order the current user may see (the member's own, or any for staff), else 404."""
    order = load_order(order_id)
    if order is None or not order.can_view(current_user):
        abort(404)
    return order


def member_order(order_id: int) -> Order:
    """The current member's own order (staff act on orders from the back office), else 404."""
    order = own_order(order_id)
    if order.user_id != current_user.id:
        abort(404)
    return order


def own_cart_item(item_id: int) -> OrderItem:
    item = db.session.get(OrderItem, item_id)
    if (item is None or item.order.user_id != current_user.id
            or item.order.status != Status.DRAFT.value):
        abort(404)
    return item


def refused(error: WorkflowError):
    db.session.rollback()
    flash(str(error.message), "danger")


# --- Partner shops and terms (public) -----------------------------------------------------

@bp.route("/boutiques")
def shops():
    query = select(PartnerShop).where(PartnerShop.is_visible).order_by(PartnerShop.position,
                                                                        PartnerShop.name)
    return render_template("requests/shops.html", shops=db.session.scalars(query).all())


@bp.route("/boutiques/<int:shop_id>/logo")
def shop_logo(shop_id: int):
    shop = db.session.get(PartnerShop, shop_id)
    visible = shop and (shop.is_visible or (current_user.is_authenticated and current_user.is_staff))
    if not visible or not shop.logo_key:
        abort(404)
    response = make_response(storage.read(shop.logo_key))
    response.headers["Content-Type"] = "image/png"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/conditions-generales")
def terms():
    return render_template("requests/terms.html", terms=TermsVersion.current())


# --- Cart ---------------------------------------------------------------------------------

@bp.route("/panier", methods=["GET", "POST"])
@login_required
def cart():
    form = ItemForm()
    if form.validate_on_submit():
        try:
            ordering.add_item(current_user, form.name.data, form.url.data, form.quantity.data,
                              form.details.data, form.seen_price.data, form.seen_currency.data)
        except WorkflowError as error:
            refused(error)
        else:
            db.session.commit()
            flash(_("« %(name)s » est ajouté à votre panier.", name=form.name.data), "success")
        return redirect(url_for("requests.cart"))
    return render_template("requests/cart.html", form=form, cart=ordering.cart_of(current_user),
                           max_items=MAX_ITEMS)


@bp.route("/panier/articles/<int:item_id>", methods=["GET", "POST"])
@login_required
def edit_item(item_id: int):
    item = own_cart_item(item_id)
    form = ItemEditForm(obj=item)
    if form.validate_on_submit():
        ordering.update_item(item, form.quantity.data, form.details.data)
        db.session.commit()
        flash(_("L'article est modifié."), "success")
        return redirect(url_for("requests.cart"))
    return render_template("requests/edit_item.html", form=form, item=item)


@bp.route("/panier/articles/<int:item_id>/supprimer", methods=["POST"])
@login_required
def remove_item(item_id: int):
    item = own_cart_item(item_id)
    name = item.name
    ordering.remove_item(item)
    db.session.commit()
    flash(_("« %(name)s » est retiré du panier.", name=name), "info")
    return redirect(url_for("requests.cart"))


@bp.route("/panier/envoyer", methods=["GET", "POST"])
@login_required
def submit():
    cart = ordering.cart_of(current_user)
    if cart is None or not cart.items:
        flash(_("Ajoutez au moins un article avant d'envoyer la demande."), "warning")
        return redirect(url_for("requests.cart"))
    points = active_pickup_points()
    terms = TermsVersion.current()
    default = current_user.default_address
    form = SubmitForm(addresses=current_user.addresses, pickup_points=points,
                      address_id=default.id if default else None)
    if form.validate_on_submit():
        address = db.session.get(Address, form.address_id.data)
        # Only a pickup needs a point (then one of `points`, checked by the form); any number
        # sent with home delivery is ignored, never looked up.
        point = next((p for p in points if p.id == form.pickup_point_id.data), None)
        try:
            order = ordering.submit_request(current_user, address, form.delivery_mode.data,
                                            point, terms)
        except WorkflowError as error:
            refused(error)
        else:
            db.session.commit()
            flash(_("Votre demande %(ref)s est envoyée. Nous vous enverrons une proforma.",
                    ref=order.reference), "success")
            return redirect(url_for("requests.order_detail", order_id=order.id))
    return render_template("requests/submit.html", form=form, cart=cart, points=points,
                           terms=terms)


# --- Member space -------------------------------------------------------------------------

@bp.route("/commandes")
@login_required
def dashboard():
    shown = ordering.dashboard(current_user)
    return render_template("requests/dashboard.html", orders=shown.orders, cart=shown.cart,
                           unread=shown.unread, unread_total=shown.unread_total,
                           needs_member=ordering.needs_member)


@bp.route("/commandes/historique")
@login_required
def history():
    search = request.args.get("ref", "")
    pagination = ordering.orders_of(current_user, ordering.FINISHED, search, page_number())
    return render_template("requests/history.html", pagination=pagination, search=search[:30],
                           needs_member=ordering.needs_member)


@bp.route("/commandes/<int:order_id>")
@login_required
def order_detail(order_id: int):
    order = own_order(order_id)
    if order.status == Status.DRAFT.value:
        return redirect(url_for("requests.cart"))
    page = render_order(order, MessageForm(formdata=None))
    if not current_user.is_staff and threads.mark_read(order, by_member=True):
        db.session.commit()
    return page


def render_order(order: Order, message_form: MessageForm, status: int = 200):
    load_lists(order)
    awaited = proofs.kind_awaited(order)
    return render_template(
        "requests/order.html", order=order,
        can_cancel=can_move(order, Status.CANCELLED, current_user) and not current_user.is_staff,
        can_change_address=ordering.can_change_address(order, current_user),
        can_send_proof=proofs.can_send_proof(order, current_user), awaited=awaited,
        still_due=proofs.amount_due(order, awaited) if awaited else 0,
        today=agency_today(), message_form=message_form,
        thread=threads.visible_to_member(order), whatsapp_link=pickup.whatsapp_link(order),
        pickup_qr=pickup.qr_svg(order) if order.status == Status.READY.value else None,
    ), status


@bp.route("/commandes/<int:order_id>/messages", methods=["POST"])
@login_required
def post_message(order_id: int):
    order = member_order(order_id)
    if order.status == Status.DRAFT.value:
        abort(404)
    form = MessageForm()
    if not form.validate_on_submit():
        return render_order(order, form, status=422)
    threads.member_writes(order, current_user, form.body.data)
    db.session.commit()
    flash(_("Votre message est envoyé à l'agence."), "success")
    return redirect(url_for("requests.order_detail", order_id=order.id, _anchor="messages"))


@bp.route("/commandes/<int:order_id>/annuler", methods=["GET", "POST"])
@login_required
def cancel(order_id: int):
    order = member_order(order_id)
    if request.method == "GET" and not can_move(order, Status.CANCELLED, current_user):
        flash(_("Cette commande ne peut plus être annulée depuis votre espace."), "warning")
        return redirect(url_for("requests.order_detail", order_id=order.id))
    form = CancelForm()
    if form.validate_on_submit():
        try:
            ordering.cancel_order(order, current_user, note=form.note.data)
        except WorkflowError as error:
            refused(error)
        else:
            db.session.commit()
            flash(_("La commande %(ref)s est annulée.", ref=order.reference), "info")
        return redirect(url_for("requests.order_detail", order_id=order.id))
    return render_template("requests/cancel.html", form=form, order=order)


@bp.route("/commandes/<int:order_id>/adresse", methods=["GET", "POST"])
@login_required
def change_address(order_id: int):
    order = member_order(order_id)
    if request.method == "GET" and not ordering.can_change_address(order, current_user):
        flash(_("L'adresse de cette commande ne peut plus être modifiée."), "warning")
        return redirect(url_for("requests.order_detail", order_id=order.id))
    form = AddressChoiceForm(addresses=current_user.addresses, address_id=order.address_id)
    if form.validate_on_submit():
        try:
            ordering.change_address(order, current_user,
                                    db.session.get(Address, form.address_id.data))
        except WorkflowError as error:
            refused(error)
        else:
            db.session.commit()
            flash(_("L'adresse de la commande est modifiée."), "success")
        return redirect(url_for("requests.order_detail", order_id=order.id))
    return render_template("requests/change_address.html", form=form, order=order)
