"""Member forms of payments: the proof of a payment (file, amount, method, date, reference)."""
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

from portal.forms import PortalForm, max_length, optional, required
from portal.money import format_money, parse_amount
from portal.payments.files import RejectedFile, inspect_proof
from portal.staff.forms import DayField

REF_MAX = 100
COMMENT_MAX = 1000
# A declared amount above this many times what is due is a typing mistake.
AMOUNT_CAP_FACTOR = 10
OLDEST_PAYMENT_DAYS = 366
ACCEPT = "image/*,application/pdf"


def method_id(value):
    """The posted method id as an int; anything else is "no such method" (0)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class ProofForm(PortalForm):
    """Build with the currency of the document paid, the amount due, the active payment
    methods and the agency's today. Once valid, `clean` is the cleaned file, `amount` the
    amount in minor units and `method` the PaymentMethod chosen."""

    file = FileField(
        _l("Preuve de paiement (photo, capture d'écran ou PDF)"),
        [FileRequired(message=_l("Choisissez le fichier de votre preuve de paiement."))],
        description=_l("Photo du reçu, capture d'écran du transfert ou PDF de la banque."))
    amount_paid = StringField(_l("Montant payé"), [required(), max_length(30)],
                              description=_l("Le montant exact que vous avez payé."))
    method_id = SelectField(_l("Moyen de paiement"), coerce=method_id, validate_choice=False)
    paid_on = DayField(_l("Date du paiement"),
                       [InputRequired(message=_l("Ce champ est obligatoire."))])
    transaction_ref = StringField(_l("Référence de la transaction (facultatif)"),
                                  [optional(), max_length(REF_MAX)],
                                  description=_l("Le numéro indiqué par votre banque ou votre "
                                                 "service de paiement mobile."))
    comment = TextAreaField(_l("Commentaire (facultatif)"), [optional(), max_length(COMMENT_MAX)])

    def __init__(self, *args, currency: str, due: int, methods, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency, self.due, self.today = currency, due, today
        self.methods = {m.id: m for m in methods}
        self.method_id.choices = [(0, _l("Choisissez…"))] + [(m.id, m.name) for m in methods]
        if len(methods) == 1 and not self.is_submitted():
            self.method_id.data = methods[0].id
        self.file.render_kw = {"accept": ACCEPT}
        self.amount_paid.render_kw = {"inputmode": "decimal", "autocomplete": "off"}
        self.paid_on.render_kw = {"max": today.isoformat()}
        if self.paid_on.data is None and not self.is_submitted():
            self.paid_on.data = today
        self.clean = self.amount = self.method = None

    def validate_amount_paid(self, field):
        try:
            amount = parse_amount(field.data, self.currency)
        except ValueError:
            raise ValidationError(_l("Indiquez un montant valide, par exemple %(example)s.",
                                     example=format_money(self.due or 1000, self.currency))) \
                from None
        if amount <= 0:
            raise ValidationError(_l("Le montant doit être supérieur à zéro."))
        if amount > max(self.due, 1) * AMOUNT_CAP_FACTOR:
            raise ValidationError(_l("Ce montant est bien plus élevé que ce qui est dû "
                                     "(%(due)s) : vérifiez-le.",
                                     due=format_money(self.due, self.currency)))
        self.amount = amount

    def validate_method_id(self, field):
        self.method = self.methods.get(field.data)
        if self.method is None:
            raise ValidationError(_l("Choisissez un moyen de paiement dans la liste."))

    def validate_paid_on(self, field):
        if field.data is None:  # unreadable: DayField already said why
            return
        if field.data > self.today:
            raise ValidationError(_l("La date du paiement ne peut pas être dans le futur."))
        if field.data < self.today - timedelta(days=OLDEST_PAYMENT_DAYS):
            raise ValidationError(_l("Cette date remonte à plus d'un an : vérifiez-la."))

    def validate_file(self, field):
        """The only judge of the file is inspect_proof; it keeps the cleaned copy."""
        try:
            self.clean = inspect_proof(field.data.stream, current_app.config["MAX_CONTENT_LENGTH"])
        except RejectedFile as rejected:
            raise ValidationError(rejected.message) from None


def awaited_proof_form(order, form_class=None):
    """(kind, document paid, amount due, its proof form) for the payment `order` awaits."""
    from portal.payments import proofs
    from portal.staff.models import active_payment_methods, agency_today

    kind = proofs.kind_awaited(order)
    document, due = proofs.document_paid(order, kind), proofs.amount_due(order, kind)
    form = (form_class or ProofForm)(currency=document.currency, due=due,
                                     methods=active_payment_methods(), today=agency_today())
    return kind, document, due, form
