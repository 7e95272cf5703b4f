"""Agency settings pages (admin): identity and logo, money and time, quoting defaults,
payment methods (views on staff.bp)."""
from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _

from portal import storage
from portal.extensions import db
from portal.security import admin_required, staff_required
from portal.staff import settings as agency_settings
from portal.staff.models import AgencySettings, PaymentMethod
from portal.staff.routes import bp
from portal.staff.settings_forms import PaymentMethodForm, SettingsForm


@bp.route("/parametres", methods=["GET", "POST"])
@admin_required
def settings():
    current = AgencySettings.get()
    form = SettingsForm.of(current)
    if form.validate_on_submit():
        agency_settings.save_settings(form.values(), form.logo_png, form.remove_logo.data)
        db.session.commit()
        flash(_("Les paramètres sont enregistrés."), "success")
        return redirect(url_for("staff.settings"))
    return render_template("staff/settings.html", form=form, current=current)


@bp.route("/parametres/logo")
@staff_required
def company_logo():
    """The company logo, for the staff's preview (documents read it from storage)."""
    key = AgencySettings.get().logo_key
    if not key:
        abort(404)
    response = make_response(storage.read(key))
    response.headers["Content-Type"] = "image/png"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# --- Payment methods (admin) --------------------------------------------------------------

@bp.route("/moyens-de-paiement", methods=["GET", "POST"])
@admin_required
def payment_methods():
    return _payment_method_form(None)


@bp.route("/moyens-de-paiement/<int:method_id>", methods=["GET", "POST"])
@admin_required
def edit_payment_method(method_id: int):
    return _payment_method_form(db.get_or_404(PaymentMethod, method_id))


def _payment_method_form(method: PaymentMethod | None):
    form = PaymentMethodForm(obj=method)
    if form.validate_on_submit():
        method = agency_settings.save_payment_method(
            method, **{name: getattr(form, name).data
                       for name in agency_settings.PAYMENT_METHOD_FIELDS})
        db.session.commit()
        flash(_("Le moyen de paiement « %(name)s » est enregistré.", name=method.name),
              "success")
        return redirect(url_for("staff.payment_methods"))
    return render_template("staff/payment_methods.html", form=form, method=method,
                           methods=agency_settings.ordered_payment_methods())


@bp.route("/moyens-de-paiement/<int:method_id>/deplacer/<direction>", methods=["POST"])
@admin_required
def move_payment_method(method_id: int, direction: str):
    if direction not in ("haut", "bas"):
        abort(404)
    agency_settings.move_payment_method(db.get_or_404(PaymentMethod, method_id),
                                        -1 if direction == "haut" else 1)
    db.session.commit()
    return redirect(url_for("staff.payment_methods"))


@bp.route("/moyens-de-paiement/<int:method_id>/activation", methods=["POST"])
@admin_required
def toggle_payment_method(method_id: int):
    method = db.get_or_404(PaymentMethod, method_id)
    agency_settings.toggle_payment_method(method)
    db.session.commit()
    message = (_("« %(name)s » est proposé aux membres.", name=method.name) if method.is_active
               else _("« %(name)s » n'est plus proposé aux membres.", name=method.name))
    flash(message, "info")
    return redirect(url_for("staff.payment_methods"))
