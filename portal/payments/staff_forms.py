"""Staff forms of payments and logistics: the decision on a proof (accept with the amount
received, refuse with a reason), the purchase, the shipment, and the arrival (or the correction
of the invoice it issued). Amounts are typed in major units and read into minor units here;
weights are typed in kilograms and read into grams."""
import re
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import FieldList, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from portal.forms import PortalForm, max_length, optional, required
from portal.money import amount_input, format_money, parse_amount
from portal.payments.files import RejectedFile, inspect_proof
from portal.payments.models import REFUSAL_REASONS
from portal.proforma.invoicing import Arrival, transport_fee
from portal.requests.forms import web_address

ADJUSTMENTS = 3
AMOUNT_CAP_FACTOR = 10  # a received amount above 10 × what is expected is a typo
MAX_PHOTOS = 6
COMMENT_MAX = 1000
MAX_GRAMS = 10_000_000  # 10 tonnes: anything above is a typing mistake
_WEIGHT = re.compile(r"[0-9]{1,5}([.,][0-9]{1,3})?")
_SIGNED = re.compile(r"([+\-−]?)(.*)", re.S)


def amount_error(currency: str):
    return _l("Montant invalide : un nombre positif, par exemple %(example)s.",
              example=format_money(125000 if currency in ("XOF", "XAF") else 123456, currency))


def read_amount(text: str, currency: str) -> int:
    """A positive amount typed by staff, in minor units; ValidationError otherwise."""
    try:
        amount = parse_amount(text, currency)
    except ValueError:
        raise ValidationError(amount_error(currency)) from None
    if amount <= 0:
        raise ValidationError(_l("Le montant doit être supérieur à zéro."))
    return amount


class SubForm(PortalForm):
    class Meta:
        csrf = False


# --- Review of a proof ---------------------------------------------------------------------

class AcceptProofForm(PortalForm):
    """Build with the proof's currency and what is expected (the larger of the amount due and
    the amount declared); once valid, `amount` is the amount received."""

    received_amount = StringField(_l("Montant reçu"), [required(), max_length(30)])

    def __init__(self, *args, currency: str, expected: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency, self.expected, self.amount = currency, expected, None
        self.received_amount.render_kw = {"inputmode": "decimal", "autocomplete": "off"}

    def validate_received_amount(self, field):
        amount = read_amount(field.data, self.currency)
        if amount > max(self.expected, 1) * AMOUNT_CAP_FACTOR:
            raise ValidationError(_l("Ce montant est bien plus élevé que celui attendu "
                                     "(%(expected)s) : vérifiez-le.",
                                     expected=format_money(self.expected, self.currency)))
        self.amount = amount


class RefuseProofForm(PortalForm):
    reason = SelectField(_l("Raison du refus"), [required()],
                         choices=[("", _l("Choisissez…")), *REFUSAL_REASONS.items()],
                         validate_choice=False)
    comment = TextAreaField(_l("Message au membre"), [max_length(COMMENT_MAX)],
                            description=_l("Obligatoire pour « Autre raison » ; le membre le "
                                           "lit avec la raison."))

    def validate_reason(self, field):
        if field.data not in REFUSAL_REASONS:
            raise ValidationError(_l("Choisissez une raison dans la liste."))

    def validate_comment(self, field):
        if self.reason.data == "other" and not field.data:
            raise ValidationError(_l("Expliquez au membre pourquoi la preuve est refusée."))


# --- Purchase and shipment -------------------------------------------------------------------

class PurchaseForm(PortalForm):
    merchant_order_number = StringField(_l("N° de commande chez le marchand (facultatif)"),
                                        [optional(), max_length(100)])


class ShipmentForm(PortalForm):
    carrier = StringField(_l("Transporteur"), [required(), max_length(100)])
    tracking_number = StringField(_l("N° de suivi (facultatif)"), [optional(), max_length(100)])
    tracking_url = StringField(_l("Lien de suivi (facultatif)"),
                               [optional(), max_length(2048), web_address])


# --- Arrival and invoice -------------------------------------------------------------------

class AdjustmentForm(SubForm):
    label = StringField(_l("Libellé"), [max_length(120)])
    amount = StringField(_l("Montant"), [max_length(30)])


def read_weight(text: str) -> int:
    """ "4,2" (kg) -> 4200 (grams); ValidationError on anything else."""
    cleaned = "".join((text or "").split()).replace(",", ".")
    if not _WEIGHT.fullmatch(cleaned):
        raise ValidationError(_l("Poids invalide : en kilogrammes, par exemple 4,2."))
    grams = int(Decimal(cleaned) * 1000)
    if grams <= 0:
        raise ValidationError(_l("Le poids doit être supérieur à zéro."))
    if grams > MAX_GRAMS:
        raise ValidationError(_l("Ce poids est trop élevé : vérifiez-le."))
    return grams


def read_signed(text: str, currency: str) -> int:
    """ "-2500" -> -250000 (EUR); a sign, then an amount as parse_amount reads it."""
    sign, rest = _SIGNED.fullmatch("".join((text or "").split())).groups()
    try:
        amount = parse_amount(rest, currency)
    except ValueError:
        raise ValidationError(_l("Montant invalide : par exemple 25 ou -25 pour un avoir.")) \
            from None
    if amount == 0:
        raise ValidationError(_l("Le montant ne peut pas être nul."))
    return -amount if sign in ("-", "−") else amount


class InvoiceForm(PortalForm):
    """What the final invoice needs: weight, transport (computed from the weight when left
    blank), adjustments. Build with the currency and the rate per kg; once valid, `arrival` is
    the portal.proforma.invoicing.Arrival to record."""

    weight = StringField(_l("Poids (kg)"), [max_length(20)])
    transport = StringField(_l("Transport"), [max_length(30)])
    adjustments = FieldList(FormField(AdjustmentForm), min_entries=ADJUSTMENTS,
                            max_entries=ADJUSTMENTS)

    def __init__(self, *args, currency: str, rate_per_kg: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency, self.rate_per_kg = currency, rate_per_kg
        self.arrival: Arrival | None = None
        self.weight.render_kw = {"inputmode": "decimal", "autocomplete": "off",
                                 "data-arrival-weight": ""}
        self.transport.render_kw = {"inputmode": "decimal", "autocomplete": "off",
                                    "data-arrival-transport": ""}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        weight = self._read(self.weight, read_weight)
        transport = None
        if (self.transport.data or "").strip():
            transport = self._read(self.transport, self._transport)
        elif weight is not None:
            transport = transport_fee(weight, self.rate_per_kg)
        elif not self.weight.errors:
            self.transport.errors.append(_l("Indiquez le poids ou le montant du transport."))
        adjustments = [self._adjustment(entry.form) for entry in self.adjustments]
        if not valid or self._has_errors():
            return False
        self.arrival = Arrival(weight, transport, [a for a in adjustments if a])
        return True

    def _has_errors(self) -> bool:
        """Errors added after WTForms' own pass (FieldList.errors is not recomputed)."""
        fields = [self.weight, self.transport,
                  *(f for entry in self.adjustments for f in (entry.form.label,
                                                             entry.form.amount))]
        return any(field.errors for field in fields)

    @staticmethod
    def _read(field, reader):
        if not (field.data or "").strip() or field.errors:
            return None
        try:
            return reader(field.data)
        except ValidationError as error:
            field.errors = [*field.errors, str(error)]
            return None

    def _transport(self, text: str) -> int:
        """The transport may be 0 (already paid, or offered); never negative."""
        try:
            return parse_amount(text, self.currency)
        except ValueError:
            raise ValidationError(amount_error(self.currency)) from None

    def _adjustment(self, sub) -> tuple[str, int] | None:
        label, amount = sub.label.data, sub.amount.data
        if not label and not amount:
            return None
        if not label:
            sub.label.errors = [*sub.label.errors, _l("Indiquez le libellé de l'ajustement.")]
        if not amount:
            sub.amount.errors = [*sub.amount.errors, _l("Indiquez le montant de l'ajustement.")]
            return None
        value = self._read(sub.amount, lambda text: read_signed(text, self.currency))
        return (label, value) if label and value is not None else None

    def fill_from(self, invoice) -> None:
        """The values of an issued invoice, to correct it."""
        content = invoice.content
        grams = content.get("weight_grams")
        self.weight.data = str(Decimal(grams) / 1000).replace(".", ",") if grams else ""
        fees = content.get("fees") or []
        transport = next((fee["amount"] for fee in fees if fee["kind"] == "transport"), None)
        self.transport.data = amount_input(transport, self.currency)
        extra = [fee for fee in fees if fee["kind"] == "adjustment"][:ADJUSTMENTS]
        for entry, fee in zip(self.adjustments, extra, strict=False):
            entry.form.label.data = fee["label"]
            entry.form.amount.data = amount_input(fee["amount"], self.currency)


class ArrivalForm(InvoiceForm):
    """The invoice's fields and photos of the goods (images only, cleaned like proofs);
    once valid, `photos` holds the cleaned images to store."""

    photos = MultipleFileField(_l("Photos des articles (facultatif)"),
                               description=_l("%(n)d photos au plus.", n=MAX_PHOTOS))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.photos.render_kw = {"accept": "image/*", "multiple": True}
        self.cleaned_photos = []

    def validate_photos(self, field):
        uploads = [f for f in field.data or [] if getattr(f, "filename", "")]
        if len(uploads) > MAX_PHOTOS:
            raise ValidationError(_l("%(n)d photos au plus.", n=MAX_PHOTOS))
        cleaned = []
        # gettext, not _l: Jinja renders a lazy string as markup (unescaped), and a file's
        # name is whatever the sender chose.
        for upload in uploads:
            try:
                clean = inspect_proof(upload.stream, current_app.config["MAX_CONTENT_LENGTH"])
            except RejectedFile as rejected:
                raise ValidationError(_("%(name)s : %(why)s", name=upload.filename,
                                        why=rejected.message)) from None
            if clean.kind != "image":
                raise ValidationError(_("%(name)s : seules les photos sont acceptées ici.",
                                        name=upload.filename))
            cleaned.append(clean)
        self.cleaned_photos = cleaned
