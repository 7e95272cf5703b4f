"""Back-office pages. Every view here needs a staff account; some need an admin."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.extensions import db
from portal.members import accounts
from portal.members.forms import StaffAccountForm
from portal.members.models import Role, User
from portal.messaging import outbox
from portal.messaging.models import OutboxMessage, OutboxStatus
from portal.security import admin_required, page_number, staff_required

bp = Blueprint("staff", __name__, url_prefix="/equipe")


def outbox_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(OutboxMessage.status, func.count(OutboxMessage.id)).group_by(OutboxMessage.status)
    )
    return {status.value: 0 for status in OutboxStatus} | dict(rows.all())


@bp.route("/")
@staff_required
def home():
    members = db.session.scalar(
        select(func.count(User.id)).where(User.role == Role.MEMBER.value)) or 0
    unconfirmed = db.session.scalar(select(func.count(User.id)).where(
        User.role == Role.MEMBER.value, User.confirmed_at.is_(None))) or 0
    return render_template("staff/home.html", members=members, unconfirmed=unconfirmed,
                           outbox=outbox_counts())


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
    if status not in {s.value for s in OutboxStatus}:
        status = "failed"
    query = (select(OutboxMessage).where(OutboxMessage.status == status)
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
