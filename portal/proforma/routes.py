"""Proforma pages: the staff quote editor (draft, live totals, preview, issue) and the member's
proforma page, PDF download and "ask for a change"."""
from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from portal import storage
from portal.clock import local_today
from portal.extensions import db
from portal.messaging import threads
from portal.money import format_money
from portal.proforma import quoting
from portal.proforma.forms import ChangeRequestForm, QuoteForm, draft_fields, initial_data
from portal.proforma.models import Invoice, Proforma
from portal.requests.models import Order, load_order
from portal.security import staff_required
from portal.staff.models import AgencySettings, active_payment_methods, agency_today
from portal.workflow import Status, WorkflowError

bp = Blueprint("proforma", __name__)


def viewable_order(order_id: int) -> Order:
    """The member's own order, or any order for staff; 404 otherwise (and for carts)."""
    order = load_order(order_id)
    if order is None or not order.can_view(current_user) or order.status == Status.DRAFT.value:
        abort(404)
    return order


def proforma_of(order: Order, version: int) -> Proforma:
    found = next((p for p in order.proformas if p.version == version), None)
    if found is None:
        abort(404)
    return found


def pdf_response(data: bytes, filename: str, disposition: str):
    """A PDF for the person asking only: never cached by a shared cache."""
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- Staff: the quote editor ----------------------------------------------------------------

def quotable_order(order_id: int) -> Order:
    order = db.get_or_404(Order, order_id)
    if not quoting.can_quote(order, current_user):
        abort(404)
    return order


def quote_form(order: Order, formdata=None) -> QuoteForm:
    """The editor's form: what was posted, else the saved draft, else the proforma being
    revised, else the agency's defaults."""
    settings, methods = AgencySettings.get(), active_payment_methods()
    today = local_today(settings.timezone)
    options = {"order": order, "settings": settings, "methods": methods, "today": today}
    if formdata is not None:
        return QuoteForm(formdata=formdata, **options)
    draft = quoting.draft_of(order)
    if draft is not None:
        return QuoteForm(formdata=MultiDict(draft.fields), **options)
    return QuoteForm(formdata=None, data=initial_data(order, settings, methods, today,
                                                      order.current_proforma), **options)


def render_editor(order: Order, form: QuoteForm, status: int = 200):
    settings = AgencySettings.get()
    result = form.result or form.read_quote(quiet=True)
    return render_template("proforma/editor.html", order=order, form=form,
                           settings=settings, totals=result.quote.totals(), result=result,
                           draft=quoting.draft_of(order)), status


@bp.route("/equipe/commandes/<int:order_id>/proforma", methods=["GET", "POST"])
@staff_required
def edit_quote(order_id: int):
    order = quotable_order(order_id)
    if request.method == "GET":
        return render_editor(order, quote_form(order))
    form = quote_form(order, request.form)
    if not form.validate():
        return render_editor(order, form, 422)
    try:
        proforma = quoting.issue_proforma(order, form.result, current_user)
    except WorkflowError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(url_for("staff.order_detail", order_id=order_id))
    db.session.commit()
    flash(_("La proforma %(label)s est émise et envoyée à %(name)s.", label=proforma.label,
            name=order.user.full_name), "success")
    return redirect(url_for("staff.order_detail", order_id=order.id))


@bp.route("/equipe/commandes/<int:order_id>/proforma/brouillon", methods=["POST"])
@staff_required
def save_quote_draft(order_id: int):
    order = quotable_order(order_id)
    quoting.save_draft(order, draft_fields(request.form), current_user)
    db.session.commit()
    flash(_("Le brouillon est enregistré."), "success")
    return redirect(url_for("proforma.edit_quote", order_id=order.id))


@bp.route("/equipe/commandes/<int:order_id>/proforma/apercu", methods=["POST"])
@staff_required
def preview_quote(order_id: int):
    order = quotable_order(order_id)
    form = quote_form(order, request.form)
    if not form.validate():
        return render_editor(order, form, 422)
    return pdf_response(quoting.preview_pdf(order, form.result),
                        f"apercu-{order.reference}.pdf", "inline")


@bp.route("/equipe/commandes/<int:order_id>/proforma/totaux", methods=["POST"])
@staff_required
def quote_totals(order_id: int):
    """The totals of what is typed, computed here (integers) for the editor to show live."""
    order = quotable_order(order_id)
    result = quote_form(order, request.form).read_quote(quiet=True)
    totals, currency = result.quote.totals(), AgencySettings.get().currency
    service = next((fee.amount for fee in result.quote.fees if fee.kind == "service"), 0)
    return jsonify({
        "lines": [format_money(line.total, currency) if line.available else "—"
                  for line in result.quote.lines],
        "service_fee": format_money(service, currency),
        "subtotal": format_money(totals.subtotal, currency),
        "fees_total": format_money(totals.fees_total, currency),
        "total": format_money(totals.total, currency),
        "deposit": format_money(totals.deposit, currency),
        "balance": format_money(totals.balance, currency),
    })


# --- Member (and staff) side: the proforma page and its PDF --------------------------------

@bp.route("/commandes/<int:order_id>/proforma")
@login_required
def current(order_id: int):
    order = viewable_order(order_id)
    if order.current_proforma is None:
        abort(404)
    return show(order, order.current_proforma)


@bp.route("/commandes/<int:order_id>/proforma/v<int:version>")
@login_required
def version(order_id: int, version: int):
    order = viewable_order(order_id)
    return show(order, proforma_of(order, version))


def show(order: Order, proforma: Proforma):
    today = agency_today()
    member = current_user.id == order.user_id
    return render_template(
        "proforma/proforma.html", order=order, proforma=proforma, doc=proforma.content,
        expired=proforma.is_expired(today), payable=quoting.payable(proforma, today),
        can_ask=member and order.status == Status.QUOTED.value and not proforma.is_superseded,
        form=ChangeRequestForm())


@bp.route("/commandes/<int:order_id>/proforma/v<int:version>/pdf")
@login_required
def download(order_id: int, version: int):
    proforma = proforma_of(viewable_order(order_id), version)
    if not proforma.pdf_key:
        abort(404)
    return pdf_response(storage.read(proforma.pdf_key), proforma.filename, "attachment")


@bp.route("/commandes/<int:order_id>/factures/<int:invoice_id>/pdf")
@login_required
def invoice_pdf(order_id: int, invoice_id: int):
    """An invoice or credit note of the order, as issued."""
    order = viewable_order(order_id)
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or invoice.order_id != order.id or not invoice.pdf_key:
        abort(404)
    return pdf_response(storage.read(invoice.pdf_key), invoice.filename, "attachment")


@bp.route("/commandes/<int:order_id>/proforma/modification", methods=["POST"])
@login_required
def ask_for_change(order_id: int):
    order = viewable_order(order_id)
    if order.user_id != current_user.id:
        abort(404)
    form = ChangeRequestForm()
    if order.status != Status.QUOTED.value:
        flash(_("Cette proforma ne peut plus être modifiée."), "warning")
    elif form.validate_on_submit():
        threads.ask_for_change(order, current_user, form.body.data)
        db.session.commit()
        flash(_("Votre demande de modification est envoyée ; nous vous répondrons "
                "rapidement."), "success")
    else:
        flash(" ".join(str(e) for e in form.body.errors) or _("Le formulaire a expiré : "
                                                              "réessayez."), "danger")
    return redirect(url_for("proforma.current", order_id=order.id))
