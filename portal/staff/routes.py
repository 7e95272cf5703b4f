"""Back-office pages. Every view here needs a staff account; some need an admin."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, func, select

from portal.extensions import db
from portal.members import accounts
from portal.members.forms import StaffAccountForm
from portal.members.models import Role, User
from portal.messaging import outbox
from portal.messaging.models import OutboxMessage, OutboxStatus
from portal.requests.models import PartnerShop
from portal.security import admin_required, page_number, staff_required
from portal.staff import agency
from portal.staff.forms import PickupPointForm, ShopForm, TermsForm
from portal.staff.models import PickupPoint, TermsVersion

bp = Blueprint("staff", __name__, url_prefix="/equipe")


REPLACED = "remplaces"


def outbox_counts() -> dict[str, int]:
    """Messages per status (and those sent by e-mail instead of WhatsApp)."""
    replaced = func.count(OutboxMessage.id).filter(OutboxMessage.channel == "email",
                                                   OutboxMessage.fallback_reason.is_not(None))
    query = select(OutboxMessage.status, func.count(OutboxMessage.id), replaced)
    rows = db.session.execute(query.group_by(OutboxMessage.status)).all()
    counts = {status.value: 0 for status in OutboxStatus} | {s: n for s, n, _r in rows}
    counts[REPLACED] = sum(r for _s, _n, r in rows)
    return counts


@bp.route("/")
@staff_required
def home():
    from portal.staff.queues import home_figures

    return render_template("staff/home.html", figures=home_figures())


@bp.route("/membres")
@staff_required
def member_list():
    text = request.args.get("q", "")
    pagination = accounts.search_members(text, page_number())
    return render_template("staff/members.html", pagination=pagination, q=text[:100])


@bp.route("/comptes-equipe", methods=["GET", "POST"])
@admin_required
def staff_accounts():
    form = StaffAccountForm()
    if form.validate_on_submit():
        user = accounts.create_staff(form.email.data, form.full_name.data, form.role.data)
        if user is None:
            form.email.errors.append(_("Un compte existe déjà avec cette adresse."))
        else:
            db.session.commit()
            flash(_("Le compte de %(name)s est créé ; une invitation à choisir un mot de passe "
                    "lui a été envoyée.", name=user.full_name), "success")
            return redirect(url_for("staff.staff_accounts"))
    team = db.session.scalars(select(User).where(User.role != Role.MEMBER.value)
                              .order_by(User.full_name)).all()
    return render_template("staff/staff_accounts.html", form=form, team=team)


@bp.route("/envois")
@staff_required
def outbox_list():
    status = request.args.get("statut", "failed")
    if status not in {s.value for s in OutboxStatus} | {REPLACED}:
        status = "failed"
    if status == REPLACED:  # e-mails sent because WhatsApp could not carry the message
        condition = and_(OutboxMessage.channel == "email",
                         OutboxMessage.fallback_reason.is_not(None))
    else:
        condition = OutboxMessage.status == status
    query = (select(OutboxMessage).where(condition)
             .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()))
    pagination = db.paginate(query, page=page_number(), per_page=25, error_out=False)
    return render_template("staff/outbox.html", pagination=pagination, status=status,
                           counts=outbox_counts())


@bp.route("/envois/<int:message_id>/relancer", methods=["POST"])
@staff_required
def retry_message(message_id: int):
    message = db.get_or_404(OutboxMessage, message_id)
    if message.status == OutboxStatus.FAILED.value:
        outbox.retry(message)
        db.session.commit()
        flash(_("Le message sera renvoyé."), "success")
    return redirect(url_for("staff.outbox_list"))


# --- Partner shops (staff) ----------------------------------------------------------------

@bp.route("/boutiques")
@staff_required
def shop_list():
    return render_template("staff/shops.html", shops=agency.ordered_shops())


@bp.route("/boutiques/nouvelle", methods=["GET", "POST"])
@staff_required
def new_shop():
    return _shop_form(None)


@bp.route("/boutiques/<int:shop_id>", methods=["GET", "POST"])
@staff_required
def edit_shop(shop_id: int):
    return _shop_form(db.get_or_404(PartnerShop, shop_id))


def _shop_form(shop: PartnerShop | None):
    form = ShopForm(obj=shop)
    if form.validate_on_submit():
        shop = agency.save_shop(shop, form.logo_png, form.remove_logo.data,
                                **{name: getattr(form, name).data for name in agency.SHOP_FIELDS})
        db.session.commit()
        flash(_("La boutique « %(name)s » est enregistrée.", name=shop.name), "success")
        return redirect(url_for("staff.shop_list"))
    return render_template("staff/shop_form.html", form=form, shop=shop)


@bp.route("/boutiques/<int:shop_id>/deplacer/<direction>", methods=["POST"])
@staff_required
def move_shop(shop_id: int, direction: str):
    if direction not in ("haut", "bas"):
        abort(404)
    agency.move_shop(db.get_or_404(PartnerShop, shop_id), -1 if direction == "haut" else 1)
    db.session.commit()
    return redirect(url_for("staff.shop_list"))


@bp.route("/boutiques/<int:shop_id>/visibilite", methods=["POST"])
@staff_required
def toggle_shop(shop_id: int):
    shop = db.get_or_404(PartnerShop, shop_id)
    agency.toggle_shop(shop)
    db.session.commit()
    message = (_("« %(name)s » est visible par les membres.", name=shop.name) if shop.is_visible
               else _("« %(name)s » est masquée aux membres.", name=shop.name))
    flash(message, "info")
    return redirect(url_for("staff.shop_list"))


# --- Pickup points and terms (admin) ------------------------------------------------------

@bp.route("/points-de-retrait", methods=["GET", "POST"])
@admin_required
def pickup_points():
    return _pickup_point_form(None)


@bp.route("/points-de-retrait/<int:point_id>", methods=["GET", "POST"])
@admin_required
def edit_pickup_point(point_id: int):
    return _pickup_point_form(db.get_or_404(PickupPoint, point_id))


def _pickup_point_form(point: PickupPoint | None):
    form = PickupPointForm(obj=point)
    if form.validate_on_submit():
        point = agency.save_pickup_point(point, **{name: getattr(form, name).data
                                                   for name in agency.POINT_FIELDS})
        db.session.commit()
        flash(_("Le point de retrait « %(name)s » est enregistré.", name=point.name), "success")
        return redirect(url_for("staff.pickup_points"))
    points = db.session.scalars(select(PickupPoint).order_by(PickupPoint.position,
                                                             PickupPoint.name)).all()
    return render_template("staff/pickup_points.html", form=form, point=point, points=points)


@bp.route("/conditions-generales", methods=["GET", "POST"])
@admin_required
def terms():
    current = TermsVersion.current()
    form = TermsForm(text=current.text if current else "")
    if form.validate_on_submit():
        if not unchanged(form.text.data, current):
            terms = agency.publish_terms(form.text.data, current_user)
            db.session.commit()
            flash(_("La version %(v)d des conditions générales est publiée.", v=terms.version),
                  "success")
            return redirect(url_for("staff.terms"))
        form.text.errors.append(_("Ce texte est celui de la version en vigueur : modifiez-le "
                                  "avant de publier une nouvelle version."))
    return render_template("staff/terms.html", form=form, current=current), (
        422 if form.errors else 200)


def unchanged(text: str, current) -> bool:
    return current is not None and text.strip() == current.text.strip()


# Views kept in their own modules, registered on the same blueprint.
from portal.staff import messages, order_list, order_page, settings_routes  # noqa: E402,F401
