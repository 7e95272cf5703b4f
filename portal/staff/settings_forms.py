"""Forms of the agency settings (identity, legal mentions, money and time, quoting defaults,
staff alerts, messages to members) and of the payment methods.

Amounts are typed in major units of the chosen currency and percentages as "10" or "7,5";
`SettingsForm.values()` turns them into minor units and basis points for the model.
"""
import re
import zoneinfo

from babel import Locale, localedata
from babel.dates import get_timezone, get_timezone_location
from babel.numbers import format_decimal, get_currency_name
from flask_babel import get_locale, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, ValidationError

from portal.forms import PortalForm, max_length, optional, phone_number, required
from portal.messaging.whatsapp import KINDS
from portal.money import MAX_MAJOR, amount_input, exponent, parse_amount, parse_percent, percent_input
from portal.requests.pickup import (
    DEFAULT_DELIVERY,
    DEFAULT_PICKUP,
    PLACEHOLDER,
    PLACEHOLDERS,
    unknown_placeholders,
)
from portal.staff.forms import LogoUpload
from portal.staff.models import AgencySettings

# The agency's currency: the euro zone, the CFA and CFP francs, the Indian Ocean, North Africa…
SETTINGS_CURRENCIES = ["EUR", "XOF", "XAF", "XPF", "MGA", "MUR", "KMF", "SCR", "CDF", "GNF",
                       "DJF", "RWF", "BIF", "MAD", "DZD", "TND", "HTG", "USD", "CAD", "CHF",
                       "GBP"]
# Time zones offered, each with the territory whose name labels it.
SETTINGS_TIMEZONES = [
    ("Europe/Paris", "FR"), ("Europe/Brussels", "BE"), ("Europe/Luxembourg", "LU"),
    ("Europe/Zurich", "CH"), ("Europe/Monaco", "MC"), ("Europe/London", "GB"),
    ("Africa/Abidjan", "CI"), ("Africa/Dakar", "SN"), ("Africa/Bamako", "ML"),
    ("Africa/Ouagadougou", "BF"), ("Africa/Niamey", "NE"), ("Africa/Lome", "TG"),
    ("Africa/Porto-Novo", "BJ"), ("Africa/Conakry", "GN"), ("Africa/Nouakchott", "MR"),
    ("Africa/Douala", "CM"), ("Africa/Libreville", "GA"), ("Africa/Brazzaville", "CG"),
    ("Africa/Kinshasa", "CD"), ("Africa/Lubumbashi", "CD"), ("Africa/Ndjamena", "TD"),
    ("Africa/Bangui", "CF"), ("Africa/Malabo", "GQ"), ("Africa/Kigali", "RW"),
    ("Africa/Bujumbura", "BI"), ("Africa/Djibouti", "DJ"), ("Africa/Casablanca", "MA"),
    ("Africa/Algiers", "DZ"), ("Africa/Tunis", "TN"), ("Indian/Antananarivo", "MG"),
    ("Indian/Mauritius", "MU"), ("Indian/Reunion", "RE"), ("Indian/Mayotte", "YT"),
    ("Indian/Comoro", "KM"), ("Indian/Mahe", "SC"), ("America/Guadeloupe", "GP"),
    ("America/Martinique", "MQ"), ("America/Cayenne", "GF"), ("America/Port-au-Prince", "HT"),
    ("America/Toronto", "CA"), ("Pacific/Noumea", "NC"), ("Pacific/Tahiti", "PF"),
]

_WHOLE = re.compile(r"[0-9]{1,4}")
PERCENT_MESSAGE = _l("Indiquez un pourcentage entre 0 et 100, avec deux décimales au plus "
                     "(par exemple 7,5).")
VALIDITY_MESSAGE = _l("Indiquez une durée de 1 à 365 jours.")
REMINDER_MESSAGE = _l("Indiquez un nombre de jours entre 0 et 90 (0 : pas de rappel).")
CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")
CONTENT_SID_MESSAGE = _l("Indiquez l'identifiant du modèle approuvé (Content SID) : « HX » "
                         "suivi de 32 chiffres ou lettres de a à f.")
PLACEHOLDER_LIST = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
PICKUP_HELP = _l("Envoyé quand une commande à retirer est prête. Vous pouvez y placer "
                 "%(placeholders)s : le portail les remplace par le nom du membre, la référence "
                 "de la commande, le code de retrait, le point de retrait, son adresse, ses "
                 "horaires et le lien de la commande. Laissé vide, le texte par défaut est "
                 "envoyé.", placeholders=PLACEHOLDER_LIST)
DELIVERY_HELP = _l("Envoyé quand une commande à livrer est prête. Vous pouvez y placer "
                   "%(placeholders)s ; pour une livraison, {adresse} est l'adresse de livraison, "
                   "{point} et {horaires} sont vides. Laissé vide, le texte par défaut est "
                   "envoyé.", placeholders=PLACEHOLDER_LIST)
# The Content SID field of each WhatsApp message kind (portal.messaging.whatsapp.KINDS).
TEMPLATE_FIELDS = {kind: f"whatsapp_{kind}" for kind in KINDS}


def _ui_locale() -> Locale:
    return Locale.parse(str(get_locale() or "fr"))


def currency_choices() -> list[tuple[str, str]]:
    locale = _ui_locale()
    return [(code, f"{code} — {get_currency_name(code, locale=locale)}")
            for code in SETTINGS_CURRENCIES]


def locale_choices() -> list[tuple[str, str]]:
    """Every French locale Babel knows, labelled "Français (Côte d'Ivoire)" in the UI language."""
    ui = _ui_locale()
    codes = [code for code in localedata.locale_identifiers()
             if re.fullmatch(r"fr_[A-Z]{2}", code)]
    labels = {code: Locale.parse(code).get_display_name(ui) for code in codes}
    return sorted(((code, label[:1].upper() + label[1:]) for code, label in labels.items()),
                  key=lambda item: item[1])


def timezone_choices() -> list[tuple[str, str]]:
    """Our list of zones (those this system knows), labelled "Côte d'Ivoire — Abidjan"."""
    ui = _ui_locale()
    known = zoneinfo.available_timezones()
    choices = [(zone, f"{ui.territories.get(territory, territory)} — "
                      f"{get_timezone_location(get_timezone(zone), ui, return_city=True)}")
               for zone, territory in SETTINGS_TIMEZONES if zone in known]
    return [("UTC", "UTC"), *sorted(choices, key=lambda item: item[1])]


def _one_of(message):
    def check(form, field):
        if field.data not in {code for code, _label in field.choices}:
            raise ValidationError(message)
    return check


def optional_email():
    return [optional(), max_length(254),
            Email(message=_l("Adresse e-mail invalide."), check_deliverability=False)]


def amount_field(label, description=None):
    return StringField(label, [required()], description=description,
                       render_kw={"inputmode": "decimal"})


def percent_field(label):
    return StringField(label, [required(), percentage],
                       render_kw={"inputmode": "decimal"})


def percentage(form, field):
    try:
        parse_percent(field.data)
    except ValueError:
        raise ValidationError(PERCENT_MESSAGE) from None


def validity_days(form, field):
    if not _WHOLE.fullmatch(field.data or "") or not 1 <= int(field.data) <= 365:
        raise ValidationError(VALIDITY_MESSAGE)


def reminder_days(form, field):
    if not re.fullmatch(r"[0-9]{1,2}", field.data or "") or int(field.data) > 90:
        raise ValidationError(REMINDER_MESSAGE)


def known_placeholders(form, field):
    """A message template may only use the placeholders the portal fills, in balanced braces."""
    unknown = unknown_placeholders(field.data)
    if unknown:
        names = ", ".join(f"{{{name}}}" for name in dict.fromkeys(unknown))
        raise ValidationError(ngettext(
            "Variable inconnue : %(names)s. Utilisez seulement %(known)s.",
            "Variables inconnues : %(names)s. Utilisez seulement %(known)s.",
            len(dict.fromkeys(unknown)), names=names, known=PLACEHOLDER_LIST))
    if re.search(r"[{}]", PLACEHOLDER.sub("", field.data or "")):
        raise ValidationError(_l("Une accolade n'est pas fermée (ou est de trop) : écrivez chaque "
                                 "variable entre deux accolades, par exemple {nom}."))


def content_sid(form, field):
    if field.data and not CONTENT_SID.fullmatch(field.data):
        raise ValidationError(CONTENT_SID_MESSAGE)


def message_field(label, description, default):
    return TextAreaField(label, [optional(), max_length(2000), known_placeholders],
                         description=description, render_kw={"placeholder": default})


def template_field(label):
    return StringField(label, [optional(), content_sid],
                       render_kw={"placeholder": "HX…", "spellcheck": "false",
                                  "autocomplete": "off"})


class SettingsForm(LogoUpload, PortalForm):
    # Identité
    company_name = StringField(_l("Nom de l'agence"), [required(), max_length(160)])
    company_address = TextAreaField(_l("Adresse (facultatif)"), [optional(), max_length(500)])
    company_phone = StringField(_l("Téléphone (facultatif)"),
                                [optional(), max_length(30), phone_number])
    company_whatsapp = StringField(
        _l("Numéro WhatsApp (facultatif)"), [optional(), max_length(30), phone_number],
        description=_l("Avec l'indicatif du pays, par exemple +225 07 01 02 03 04."))
    company_email = StringField(_l("Adresse e-mail (facultatif)"), optional_email())
    logo = FileField(_l("Logo (facultatif)"),
                     description=_l("Une image (JPEG, PNG, WebP), 2 Mo au plus. Il figure sur "
                                    "les proformas et les factures."))
    remove_logo = BooleanField(_l("Retirer le logo"))
    # Mentions légales
    siret = StringField(_l("SIRET (facultatif)"), [optional(), max_length(40)])
    ninea = StringField(_l("NINEA (facultatif)"), [optional(), max_length(40)])
    rccm = StringField(_l("RCCM (facultatif)"), [optional(), max_length(60)])
    vat_number = StringField(_l("N° TVA (facultatif)"), [optional(), max_length(40)])
    legal_mentions = TextAreaField(
        _l("Mentions légales (facultatif)"), [optional(), max_length(5000)],
        description=_l("Imprimées en bas des proformas et des factures."))
    # Monnaie et heure
    currency = SelectField(_l("Devise"), [_one_of(_l("Choisissez une devise de la liste."))],
                           validate_choice=False)
    locale = SelectField(_l("Format des montants et des dates"),
                         [_one_of(_l("Choisissez un format de la liste."))],
                         validate_choice=False)
    timezone = SelectField(_l("Fuseau horaire"),
                           [_one_of(_l("Choisissez un fuseau horaire de la liste."))],
                           validate_choice=False)
    # Devis
    service_fee_percent = percent_field(_l("Frais de service (%)"))
    service_fee_minimum = amount_field(_l("Frais de service minimum"),
                                       _l("Dans la devise choisie ci-dessus ; 0 pour aucun."))
    deposit_percent = percent_field(_l("Acompte demandé (%)"))
    proforma_validity_days = StringField(_l("Validité d'une proforma (jours)"),
                                         [required(), validity_days],
                                         render_kw={"inputmode": "numeric"})
    transport_rate_per_kg = amount_field(_l("Tarif de transport par kg"),
                                         _l("Dans la devise choisie ci-dessus."))
    # Équipe
    staff_notification_email = StringField(
        _l("E-mail d'alerte de l'équipe (facultatif)"), optional_email(),
        description=_l("Reçoit un message à chaque nouvelle demande."))
    # Messages aux membres
    pickup_message = message_field(_l("Message de retrait (facultatif)"), PICKUP_HELP,
                                   DEFAULT_PICKUP)
    delivery_message = message_field(_l("Message de livraison (facultatif)"), DELIVERY_HELP,
                                     DEFAULT_DELIVERY)
    pickup_reminder_days = StringField(
        _l("Rappel de retrait après (jours)"), [required(), reminder_days],
        description=_l("Une commande prête et pas encore retirée est rappelée au membre après "
                       "ce nombre de jours, puis à nouveau à chaque période. 0 : pas de rappel."),
        render_kw={"inputmode": "numeric"})
    whatsapp_status_changed = template_field(_l("Modèle « changement de statut » (facultatif)"))
    whatsapp_document_issued = template_field(
        _l("Modèle « nouveau document » : proforma, reçu, facture (facultatif)"))
    whatsapp_pickup_ready = template_field(_l("Modèle « commande prête » (facultatif)"))
    whatsapp_pickup_reminder = template_field(_l("Modèle « rappel de retrait » (facultatif)"))
    whatsapp_staff_message = template_field(_l("Modèle « message de l'agence » (facultatif)"))
    # The texts sent when a message is left blank, shown on the page to copy from.
    DEFAULT_TEXTS = ((_l("Retrait"), DEFAULT_PICKUP), (_l("Livraison"), DEFAULT_DELIVERY))
    WHATSAPP_HELP = _l(
        "Pour écrire à un membre sur WhatsApp plus de 24 heures après son dernier message, "
        "WhatsApp exige un modèle approuvé. Indiquez ici l'identifiant (Content SID, « HX… ») "
        "du modèle créé dans Twilio pour chaque sorte de message. Chaque modèle reçoit "
        "{{1}} le prénom, {{2}} la référence de la commande, {{3}} ce qui se passe (statut, "
        "document, code de retrait) et {{4}} le lien de la commande. Sans modèle, un message "
        "WhatsApp hors de la fenêtre de 24 heures part par e-mail.")

    TEXT_FIELDS = ("company_name", "company_address", "company_phone", "company_whatsapp",
                   "company_email", "siret", "ninea", "rccm", "vat_number", "legal_mentions",
                   "currency", "locale", "timezone", "staff_notification_email",
                   "pickup_message", "delivery_message")
    AMOUNT_FIELDS = ("service_fee_minimum", "transport_rate_per_kg")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency.choices = currency_choices()
        self.locale.choices = locale_choices()
        self.timezone.choices = timezone_choices()
        self.logo_png = None

    @classmethod
    def of(cls, settings: AgencySettings) -> "SettingsForm":
        """The form prefilled with the stored settings, amounts in their currency."""
        data = {name: getattr(settings, name) for name in cls.TEXT_FIELDS}
        data |= {name: amount_input(getattr(settings, name), settings.currency)
                 for name in cls.AMOUNT_FIELDS}
        data |= {"service_fee_percent": percent_input(settings.service_fee_bp),
                 "deposit_percent": percent_input(settings.deposit_bp),
                 "proforma_validity_days": str(settings.proforma_validity_days),
                 "pickup_reminder_days": str(settings.pickup_reminder_days)}
        templates = settings.whatsapp_templates or {}
        data |= {name: templates.get(kind) for kind, name in TEMPLATE_FIELDS.items()}
        return cls(data=data)

    def _check_amount(self, field):
        """Amounts are read in the currency chosen in this same form (it may just change)."""
        currency = self.currency.data
        if currency not in SETTINGS_CURRENCIES:
            return  # the currency field says what is wrong
        try:
            parse_amount(field.data, currency)
        except ValueError:
            places = exponent(currency)
            limit = format_decimal(MAX_MAJOR, locale=_ui_locale())
            if places:
                message = _l("Indiquez un montant entre 0 et %(limit)s, avec %(places)d "
                             "décimales au plus.", limit=limit, places=places)
            else:
                message = _l("Indiquez un montant entier entre 0 et %(limit)s (pas de "
                             "décimales en %(currency)s).", limit=limit, currency=currency)
            raise ValidationError(message) from None

    def validate_service_fee_minimum(self, field):
        self._check_amount(field)

    def validate_transport_rate_per_kg(self, field):
        self._check_amount(field)

    def values(self) -> dict:
        """The validated form as model values: minor units, basis points, None for blanks."""
        currency = self.currency.data
        values = {name: getattr(self, name).data or None for name in self.TEXT_FIELDS}
        values |= {name: parse_amount(getattr(self, name).data, currency)
                   for name in self.AMOUNT_FIELDS}
        values |= {"service_fee_bp": parse_percent(self.service_fee_percent.data),
                   "deposit_bp": parse_percent(self.deposit_percent.data),
                   "proforma_validity_days": int(self.proforma_validity_days.data),
                   "pickup_reminder_days": int(self.pickup_reminder_days.data),
                   "whatsapp_templates": self.whatsapp_templates() or None}
        return values

    def whatsapp_templates(self) -> dict:
        """{message kind: Content SID} for the kinds given a template."""
        return {kind: getattr(self, name).data for kind, name in TEMPLATE_FIELDS.items()
                if getattr(self, name).data}

    def template_fields(self) -> list:
        return [getattr(self, name) for name in TEMPLATE_FIELDS.values()]


class PaymentMethodForm(PortalForm):
    name = StringField(_l("Nom du moyen de paiement"), [required(), max_length(120)],
                       description=_l("Par exemple : Virement bancaire, Orange Money, Wave."))
    instructions = TextAreaField(
        _l("Instructions pour le membre"), [required(), max_length(2000)],
        description=_l("Numéro ou RIB, nom du bénéficiaire, référence à indiquer… Elles "
                       "figurent sur les proformas."))
    is_active = BooleanField(_l("Proposé aux membres"), default=True)
