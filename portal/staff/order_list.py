"""Back-office order list: filters, search, pagination and CSV export (views on staff.bp)."""
import csv
import io
from datetime import UTC, timedelta

from flask import Response, render_template, request
from flask_babel import gettext as _
from flask_babel import to_user_timezone

from portal import clock
from portal.date_format import duration
from portal.extensions import db
from portal.members.models import User
from portal.money import amount_input
from portal.security import page_number, staff_required
from portal.staff import queues
from portal.staff.forms import OrderFilterForm
from portal.staff.routes import bp
from portal.workflow import Status


@bp.app_template_filter("waited")
def waited(since) -> str:
    """How long ago `since` (naive UTC) was, in words: "depuis 3 jours", "depuis 5 heures"."""
    if since is None:
        return ""
    delta = max(clock.utcnow() - since, timedelta())
    return _("depuis %(duration)s", duration=duration(delta))


def filter_form() -> OrderFilterForm:
    """The filters of the query string, validated (fields in error are left out)."""
    form = OrderFilterForm(request.args, meta={"csrf": False})
    form.validate()
    return form


@bp.route("/commandes")
@staff_required
def order_list():
    form = filter_form()
    filters = form.filters()
    member = db.session.get(User, filters.member_id) if filters.member_id else None
    pagination = queues.order_page(filters, page_number())
    export_args = {key: value for key, value in request.args.items() if key != "page"}
    return render_template("staff/orders.html", form=form, filters=filters, member=member,
                           pagination=pagination, export_args=export_args)


@bp.route("/commandes.csv")
@staff_required
def order_list_csv():
    orders = queues.orders_for_export(filter_form().filters())
    day = to_user_timezone(clock.utcnow().replace(tzinfo=UTC)).strftime("%Y%m%d")
    return Response(orders_csv(orders), content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename=commandes-{day}.csv"})


# --- CSV ----------------------------------------------------------------------------------

# A spreadsheet runs a cell starting with one of these as a formula ("CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _local(moment) -> str:
    return to_user_timezone(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def orders_csv(orders) -> str:
    """One line per order, for French Excel: UTF-8 with BOM, ";" between cells."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Référence"), _("Statut"), _("Membre"), _("E-mail"), _("Téléphone"),
                     _("Envoyée le"), _("Dans ce statut depuis le"), _("Articles"),
                     _("Total de la proforma (montant décimal)"), _("Devise")])
    for order in orders:
        proforma = order.current_proforma
        writer.writerow([csv_cell(value) for value in (
            order.reference, Status(order.status).label, order.user.full_name, order.user.email,
            order.user.phone, _local(order.submitted_at), _local(order.status_changed_at),
            order.item_count,
            amount_input(proforma.total, proforma.currency) if proforma else "",
            proforma.currency if proforma else "",
        )])
    return out.getvalue()
