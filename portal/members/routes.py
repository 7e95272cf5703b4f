"""Account pages: sign-up, confirmation, login, reset, profile, e-mail, address book."""
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal import page_frame
from portal.extensions import db, limiter, login_manager
from portal.members import accounts
from portal.members.accounts import LoginResult
from portal.members.forms import (
    AddressForm,
    ChangePasswordForm,
    EmailChangeForm,
    EmailOnlyForm,
    LoginForm,
    NewPasswordForm,
    ProfileForm,
    SignupForm,
)
from portal.members.models import Address, User
from portal.security import safe_next

bp = Blueprint("members", __name__)


# --- Session loading and rate limits ------------------------------------------------------

@login_manager.user_loader
def load_user(stored_id: str) -> User | None:
    user_id, _sep, token = (stored_id or "").partition(":")
    user = page_frame.load_account(int(user_id)) if user_id.isdigit() else None
    valid = user and user.is_active and token and user.session_token == token
    return user if valid else None


def posted_email() -> str:
    return "address:" + accounts.normalize_email(request.form.get("email", ""))[:254]


def auth_limits(view):
    """Per IP and per address limits on a POST that guesses or sends mail."""
    per_ip = limiter.limit(lambda: current_app.config["AUTH_LIMIT_PER_IP"], methods=["POST"])
    per_address = limiter.limit(lambda: current_app.config["AUTH_LIMIT_PER_ADDRESS"],
                                key_func=posted_email, methods=["POST"])
    return per_ip(per_address(view))


def start_session(user: User, remember: bool = False) -> None:
    """Log in with a fresh session (nothing of the anonymous session is kept)."""
    session.clear()
    session["lang"] = user.locale
    login_user(user, remember=remember)


def home_for(user: User) -> str:
    return url_for("staff.home") if user.is_staff else url_for("requests.dashboard")


# --- Sign-up and confirmation -------------------------------------------------------------

@bp.route("/inscription", methods=["GET", "POST"])
@auth_limits
def signup():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignupForm()
    if form.validate_on_submit():
        profile = {name: getattr(form, name).data for name in accounts.PROFILE_FIELDS}
        accounts.register_member(form.email.data, form.password.data, **profile)
        db.session.commit()
        session["pending_email"] = accounts.normalize_email(form.email.data)
        return redirect(url_for("members.check_email"))
    return render_template("members/signup.html", form=form)


@bp.route("/inscription/verifiez-vos-e-mails")
def check_email():
    return render_template("members/check_email.html", email=session.get("pending_email"))


@bp.route("/confirmer/<token>")
def confirm(token: str):
    user = accounts.confirm_account(token)
    if user is None:
        flash(_("Ce lien de confirmation n'est pas valide ou a expiré. Demandez-en un nouveau."),
              "danger")
        return redirect(url_for("members.resend_confirmation"))
    db.session.commit()
    flash(_("Votre adresse e-mail est confirmée. Vous pouvez vous connecter."), "success")
    return redirect(url_for("members.login", email=user.email))


@bp.route("/confirmation/renvoyer", methods=["GET", "POST"])
@auth_limits
def resend_confirmation():
    form = EmailOnlyForm(email=request.args.get("email", ""))
    if form.validate_on_submit():
        accounts.resend_confirmation(form.email.data)
        db.session.commit()
        flash(_("Si un compte attend d'être confirmé à cette adresse, un nouveau lien vient "
                "d'y être envoyé."), "info")
        return redirect(url_for("members.login"))
    return render_template("members/resend_confirmation.html", form=form)


# --- Login and logout ---------------------------------------------------------------------

@bp.route("/connexion", methods=["GET", "POST"])
@auth_limits
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm(email=request.args.get("email", ""))
    if form.validate_on_submit():
        result, user = accounts.authenticate(form.email.data, form.password.data)
        db.session.commit()
        if result is LoginResult.OK:
            start_session(user, remember=form.remember.data)
            flash(_("Bonjour %(name)s, vous êtes connecté.", name=user.full_name), "success")
            return redirect(safe_next(request.args.get("next"), home_for(user)))
        if result is LoginResult.UNCONFIRMED:
            return render_template("members/login.html", form=form, unconfirmed=True)
        flash(_("Adresse e-mail ou mot de passe incorrect."), "danger")
    return render_template("members/login.html", form=form, unconfirmed=False)


@bp.route("/deconnexion", methods=["POST"])
def logout():
    session.clear()
    logout_user()  # after clear(): it leaves the order to delete the remember-me cookie
    flash(_("Vous êtes déconnecté."), "info")
    return redirect(url_for("main.index"))


# --- Forgotten password and invitations ---------------------------------------------------

@bp.route("/mot-de-passe/oublie", methods=["GET", "POST"])
@auth_limits
def forgot_password():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        db.session.commit()
        flash(_("Si un compte existe à cette adresse, un lien pour choisir un nouveau mot de passe "
                "vient d'y être envoyé. Il est valable une heure."), "info")
        return redirect(url_for("members.login"))
    return render_template("members/forgot_password.html", form=form)


def _choose_password(token: str, purpose: str, template: str):
    user = accounts.user_for_reset(token, purpose)
    if user is None:
        flash(_("Ce lien n'est pas valide, a expiré ou a déjà servi. Demandez-en un nouveau."),
              "danger")
        return redirect(url_for("members.forgot_password"))
    form = NewPasswordForm(owner_email=user.email)
    if form.validate_on_submit():
        accounts.set_new_password(user, form.password.data)
        db.session.commit()
        flash(_("Votre mot de passe est enregistré. Vous pouvez vous connecter."), "success")
        return redirect(url_for("members.login", email=user.email))
    return render_template(template, form=form, user=user)


@bp.route("/mot-de-passe/nouveau/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _choose_password(token, "reset", "members/reset_password.html")


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    return _choose_password(token, "invite", "members/accept_invite.html")


# --- Account, profile, password, e-mail ---------------------------------------------------

@bp.route("/compte")
@login_required
def account():
    return render_template("members/account.html")


@bp.route("/compte/profil", methods=["GET", "POST"])
@login_required
def edit_profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        accounts.update_profile(current_user, **{
            n: getattr(form, n).data
            for n in accounts.PROFILE_FIELDS + accounts.NOTIFY_FIELDS})
        db.session.commit()
        session["lang"] = current_user.locale
        flash(_("Vos coordonnées sont enregistrées."), "success")
        return redirect(url_for("members.account"))
    return render_template("members/profile.html", form=form)


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm(owner_email=current_user.email)
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(_("Le mot de passe actuel est incorrect."))
        else:
            accounts.set_new_password(current_user, form.password.data)
            db.session.commit()
            start_session(current_user)
            flash(_("Votre mot de passe est modifié. Vos autres sessions sont fermées."), "success")
            return redirect(url_for("members.account"))
    return render_template("members/change_password.html", form=form)


@bp.route("/compte/e-mail", methods=["GET", "POST"])
@login_required
def change_email():
    form = EmailChangeForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(_("Le mot de passe actuel est incorrect."))
        else:
            accounts.request_email_change(current_user, form.email.data)
            db.session.commit()
            flash(_("Un lien de confirmation a été envoyé à %(email)s. Votre adresse changera "
                    "quand vous l'aurez suivi.", email=form.email.data), "info")
            return redirect(url_for("members.account"))
    return render_template("members/change_email.html", form=form)


@bp.route("/compte/e-mail/confirmer/<token>")
def confirm_email_change(token: str):
    user = accounts.confirm_email_change(token)
    if user is None:
        flash(_("Ce lien n'est pas valide ou a expiré."), "danger")
    else:
        db.session.commit()
        flash(_("Votre adresse e-mail est maintenant %(email)s.", email=user.email), "success")
    return redirect(url_for("members.account" if current_user.is_authenticated else "members.login"))


@bp.route("/compte/deconnecter-partout", methods=["POST"])
@login_required
def logout_everywhere():
    current_user.end_other_sessions()
    db.session.commit()
    start_session(current_user)
    flash(_("Toutes vos autres sessions sont fermées."), "success")
    return redirect(url_for("members.account"))


# --- Address book -------------------------------------------------------------------------

def own_address(address_id: int) -> Address:
    """The current user's address, or 404 (someone else's address is never revealed)."""
    address = db.session.get(Address, address_id)
    if address is None or not address.can_edit(current_user):
        abort(404)
    return address


@bp.route("/compte/adresses")
@login_required
def addresses():
    return render_template("members/addresses.html")


@bp.route("/compte/adresses/nouvelle", methods=["GET", "POST"])
@login_required
def new_address():
    return _address_form(None)


@bp.route("/compte/adresses/<int:address_id>", methods=["GET", "POST"])
@login_required
def edit_address(address_id: int):
    return _address_form(own_address(address_id))


def _address_form(address: Address | None):
    form = AddressForm(obj=address)
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in accounts.ADDRESS_FIELDS}
        accounts.save_address(current_user, address, form.make_default.data, **values)
        db.session.commit()
        flash(_("L'adresse est enregistrée."), "success")
        return redirect(safe_next(request.args.get("next"), url_for("members.addresses")))
    return render_template("members/address_form.html", form=form, address=address)


@bp.route("/compte/adresses/<int:address_id>/supprimer", methods=["POST"])
@login_required
def delete_address(address_id: int):
    address = own_address(address_id)
    accounts.delete_address(current_user, address)
    db.session.commit()
    flash(_("L'adresse est supprimée."), "info")
    return redirect(url_for("members.addresses"))


@bp.route("/compte/adresses/<int:address_id>/par-defaut", methods=["POST"])
@login_required
def make_default_address(address_id: int):
    address = own_address(address_id)
    accounts.set_default_address(current_user, address)
    db.session.commit()
    flash(_("Adresse par défaut : %(label)s.", label=address.label), "success")
    return redirect(url_for("members.addresses"))
