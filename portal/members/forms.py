"""Forms of the account pages."""
from babel import Locale
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import EqualTo, ValidationError

from portal.forms import (
    PortalForm,
    blank_to_none,
    email_address,
    length_between,
    max_length,
    optional,
    phone_number,
    required,
)
from portal.members.models import Channel, Role
from portal.members.passwords import MAX_LENGTH, password_problem

LANGUAGE_CHOICES = [("fr", "Français"), ("en", "English")]
CHANNEL_CHOICES = [(Channel.WHATSAPP.value, _l("WhatsApp")), (Channel.EMAIL.value, _l("E-mail"))]


def strong_password(form, field):
    email_field = getattr(form, "email", None)
    owner = getattr(form, "owner_email", None)
    problem = password_problem(field.data or "", email_field.data if email_field else owner)
    if problem:
        raise ValidationError(problem)


def new_password_fields():
    password = PasswordField(_l("Mot de passe"), [required(), strong_password],
                             description=_l("Au moins 10 caractères, pas un mot de passe courant."))
    confirm = PasswordField(_l("Confirmez le mot de passe"), [
        required(), EqualTo("password", message=_l("Les deux mots de passe ne correspondent pas."))
    ])
    return password, confirm


class ProfileForm(PortalForm):
    full_name = StringField(_l("Nom complet"), [required(), length_between(2, 120)])
    phone = StringField(_l("Téléphone (WhatsApp)"), [required(), max_length(30), phone_number],
                        description=_l("Avec l'indicatif du pays, par exemple +225 07 01 02 03 04."))
    preferred_channel = RadioField(_l("Comment préférez-vous être contacté ?"),
                                   choices=CHANNEL_CHOICES, default=Channel.WHATSAPP.value)
    locale = SelectField(_l("Langue"), choices=LANGUAGE_CHOICES, default="fr")
    company_name = StringField(_l("Société ou organisme (facultatif)"),
                               [optional(), max_length(160)], filters=[blank_to_none])
    company_registration = StringField(
        _l("Numéro d'immatriculation (facultatif)"), [optional(), max_length(60)],
        filters=[blank_to_none], description=_l("SIRET, NINEA, RCCM…"))
    # Channels the member accepts (the profile page only; sign-up keeps the defaults: both on).
    notify_email = BooleanField(
        _l("Recevoir les notifications par e-mail"),
        description=_l("Les documents (proformas, reçus, factures en PDF) vous sont toujours "
                       "envoyés par e-mail, même si cette case est décochée."))
    notify_whatsapp = BooleanField(
        _l("Recevoir les notifications sur WhatsApp"),
        description=_l("Au numéro de téléphone indiqué ci-dessus."))


class SignupForm(ProfileForm):
    email = StringField(_l("Adresse e-mail"), email_address())
    password, password_confirm = new_password_fields()


class LoginForm(PortalForm):
    email = StringField(_l("Adresse e-mail"), email_address())
    password = PasswordField(_l("Mot de passe"), [required(), max_length(MAX_LENGTH)])
    remember = BooleanField(_l("Rester connecté sur cet appareil"))


class EmailOnlyForm(PortalForm):
    email = StringField(_l("Adresse e-mail"), email_address())


class NewPasswordForm(PortalForm):
    password, password_confirm = new_password_fields()

    def __init__(self, *args, owner_email: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner_email = owner_email


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(_l("Mot de passe actuel"), [required(), max_length(MAX_LENGTH)])


class EmailChangeForm(PortalForm):
    email = StringField(_l("Nouvelle adresse e-mail"), email_address())
    current_password = PasswordField(_l("Mot de passe actuel"), [required(), max_length(MAX_LENGTH)])


NOT_COUNTRIES = {"ZZ", "EU", "UN", "EZ", "QO"}


def country_choices():
    names = Locale.parse(str(get_locale())).territories
    codes = [code for code in names if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES]
    return sorted(((code, names[code]) for code in codes), key=lambda item: item[1])


class AddressForm(PortalForm):
    label = StringField(_l("Nom de l'adresse"), [required(), max_length(60)],
                        description=_l("Par exemple : Maison, Bureau."))
    recipient = StringField(_l("Destinataire"), [required(), max_length(120)])
    line1 = StringField(_l("Adresse"), [required(), max_length(200)])
    line2 = StringField(_l("Complément d'adresse (facultatif)"), [optional(), max_length(200)])
    postal_code = StringField(_l("Code postal (facultatif)"), [optional(), max_length(20)])
    city = StringField(_l("Ville ou commune"), [required(), max_length(100)])
    country = SelectField(_l("Pays"), [required()],
                          default=lambda: current_app.config["PHONE_DEFAULT_REGION"])
    phone = StringField(_l("Téléphone sur place (facultatif)"),
                        [optional(), max_length(30), phone_number])
    instructions = TextAreaField(_l("Indications pour la livraison (facultatif)"),
                                 [optional(), max_length(500)])
    make_default = BooleanField(_l("Utiliser comme adresse par défaut"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()


class StaffAccountForm(PortalForm):
    email = StringField(_l("Adresse e-mail"), email_address())
    full_name = StringField(_l("Nom complet"), [required(), length_between(2, 120)])
    role = SelectField(_l("Rôle"), choices=[(Role.STAFF.value, _l("Équipe")),
                                            (Role.ADMIN.value, _l("Administrateur"))])
