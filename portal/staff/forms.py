"""Back-office forms: partner shops, pickup points, terms and conditions, order filters."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import HiddenInput

from portal.forms import PortalForm, max_length, optional, required
from portal.images import NotAnImage, clean_logo
from portal.members.forms import country_choices
from portal.money import format_money, parse_amount
from portal.requests.forms import web_address
from portal.security import MAX_ID
from portal.staff.queues import LISTED, MAX_SEARCH, QUEUES, OrderFilters

LOGO_MAX_BYTES = 2 * 1024 * 1024


class LogoUpload:
    """A form with a `logo` file field: keeps a cleaned PNG of it in `logo_png`."""

    logo_png: bytes | None = None

    def validate_logo(self, field):
        self.logo_png = None
        upload = field.data
        if not upload or not getattr(upload, "filename", ""):
            return
        data = upload.read(LOGO_MAX_BYTES + 1)
        if len(data) > LOGO_MAX_BYTES:
            raise ValidationError(_l("Le logo dépasse 2 Mo."))
        try:
            self.logo_png = clean_logo(data)
        except NotAnImage as error:
            raise ValidationError(_l("Ce fichier n'est pas une image lisible.")) from error


class ShopForm(LogoUpload, PortalForm):
    name = StringField(_l("Nom de la boutique"), [required(), max_length(120)])
    url = StringField(_l("Adresse du site"), [required(), max_length(2048), web_address])
    country = SelectField(_l("Pays"), [required()])
    description = TextAreaField(_l("Courte description (facultatif)"),
                                [optional(), max_length(500)])
    is_visible = BooleanField(_l("Visible par les membres"), default=True)
    logo = FileField(_l("Logo (facultatif)"),
                     description=_l("Une image (JPEG, PNG, WebP), 2 Mo au plus."))
    remove_logo = BooleanField(_l("Retirer le logo actuel"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()
        self.logo_png = None


class PickupPointForm(PortalForm):
    name = StringField(_l("Nom du point de retrait"), [required(), max_length(120)])
    address = TextAreaField(_l("Adresse"), [required(), max_length(500)])
    opening_hours = TextAreaField(_l("Horaires d'ouverture"), [required(), max_length(500)])
    is_active = BooleanField(_l("Proposé aux membres"), default=True)


class TermsForm(PortalForm):
    text = TextAreaField(_l("Texte des conditions générales"), [required(), max_length(50_000)],
                         description=_l("Publier crée une nouvelle version ; elle s'applique aux "
                                        "nouvelles demandes seulement."))


# The days an order filter accepts (further ones are typing mistakes, and could not be converted).
MIN_DATE = date(1970, 1, 1)
MAX_DATE = date(2999, 12, 31)


class DayField(DateField):
    """A day (<input type="date">) with a French message when it cannot be read."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_l("Date invalide : utilisez le format AAAA-MM-JJ.")) from error
        if self.data is not None and not MIN_DATE <= self.data <= MAX_DATE:
            self.data = None
            raise ValueError(_l("Date hors limites."))


class MemberIdField(IntegerField):
    """The id of a member, carried in a hidden field; anything else is "no such member"."""

    widget = HiddenInput()

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_l("Ce membre n'existe pas.")) from error
        if self.data is not None and not 1 <= self.data <= MAX_ID:
            self.data = None
            raise ValueError(_l("Ce membre n'existe pas."))


class OrderFilterForm(PortalForm):
    """The filters of the staff order list and of its CSV export, read from the query string.

    Build it with `OrderFilterForm(request.args, meta={"csrf": False})` and call `validate()`:
    a field in error is left out of the search (`filters()`) and its French message shown.
    """

    statut = SelectField(_l("File ou statut"), default="",
                         invalid_choice_message=_l("Ce choix n'existe pas."))
    du = DayField(_l("Envoyée du"), [optional()])
    au = DayField(_l("au"), [optional()])
    member = MemberIdField(validators=[optional()])
    q = StringField(_l("Rechercher"), [optional(), max_length(MAX_SEARCH)])
    tri = SelectField(_l("Ordre"), choices=[
        ("recentes", _l("Les plus récentes d'abord")),
        ("anciennes", _l("Les plus anciennes d'abord")),
        ("attente", _l("La plus longue attente d'abord")),
    ], default="recentes", invalid_choice_message=_l("Ce choix n'existe pas."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.statut.choices = {
            None: [("", _l("Toutes les commandes"))],
            _l("Files de travail"): [(queue.key, queue.label) for queue in QUEUES],
            _l("Statuts"): [(status.value, status.label) for status in LISTED],
        }

    def validate_au(self, field):
        if field.data and self.du.data and field.data < self.du.data:
            raise ValidationError(_l("La date de fin précède la date de début."))

    def filters(self) -> OrderFilters:
        """What the search uses: the fields without errors."""
        def valid(field):
            return None if field.errors else field.data
        return OrderFilters(status=valid(self.statut) or "", submitted_from=valid(self.du),
                            submitted_to=valid(self.au), member_id=valid(self.member),
                            text=valid(self.q) or "", sort=valid(self.tri) or "recentes")


# Why staff cancel an order (PRODUCT.md); the code is stored, the label shown.
CANCEL_REASONS = [
    ("out_of_stock", _l("Article en rupture de stock")),
    ("price_error", _l("Erreur de prix")),
    ("missing_information", _l("Informations manquantes")),
    ("payment_not_received", _l("Paiement non reçu")),
    ("customer_request", _l("Demande du client")),
    ("other", _l("Autre")),
]


class NoteForm(PortalForm):
    body = TextAreaField(_l("Note interne (jamais montrée au membre)"),
                         [required(), max_length(2000)])


def when_money_held(needed: bool = True):
    """A refund field: skipped when the agency holds no money for the order; otherwise
    required (when `needed`) and checked by the validators that follow."""
    def check(form, field):
        blank = not (field.raw_data and str(field.raw_data[0]).strip())
        if form.held <= 0 or blank:
            field.errors[:] = []
            if form.held > 0 and needed:
                raise StopValidation(_l("Ce champ est obligatoire."))
            raise StopValidation()
    return check


class StaffCancelForm(PortalForm):
    """Build with `held` (what the agency received and has not given back, minor units of
    `currency`): the refund fields are required then, and ignored otherwise. Once valid,
    `refund_amount` holds the refund in minor units (None when nothing is held)."""

    reason = SelectField(_l("Motif d'annulation"), [required()], choices=CANCEL_REASONS)
    note = TextAreaField(_l("Message au membre (facultatif)"), [optional(), max_length(500)])
    refund = StringField(_l("Montant remboursé"), [when_money_held(), max_length(30)])
    refund_method = StringField(_l("Moyen du remboursement"),
                                [when_money_held(), max_length(120)],
                                description=_l("Par exemple : virement, Wave, espèces."))
    refund_on = DayField(_l("Date du remboursement"), [when_money_held()])
    refund_reference = StringField(_l("Référence du remboursement (facultatif)"),
                                   [when_money_held(needed=False), max_length(100)])

    def __init__(self, *args, held: int = 0, currency: str | None = None, today=None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.held, self.currency, self.today = held, currency, today
        self.refund_amount: int | None = None
        self.refund.render_kw = {"inputmode": "decimal", "autocomplete": "off"}

    def validate_refund(self, field):
        try:
            amount = parse_amount(field.data, self.currency)
        except ValueError:
            raise ValidationError(_l("Montant invalide : un nombre positif, par exemple "
                                     "%(example)s.", example=format_money(self.held,
                                                                          self.currency))) \
                from None
        if amount <= 0:
            raise ValidationError(_l("Le montant doit être supérieur à zéro."))
        if amount > self.held:
            raise ValidationError(_l("L'agence n'a reçu que %(held)s pour cette commande.",
                                     held=format_money(self.held, self.currency)))
        self.refund_amount = amount

    def validate_refund_on(self, field):
        if self.today and field.data and field.data > self.today:
            raise ValidationError(_l("La date du remboursement ne peut pas être dans le "
                                     "futur."))
