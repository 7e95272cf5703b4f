"""The quote editor's form: a price or "unavailable" per line, fees, deposit, validity, payment
methods and a message. Amounts are typed in major units of the agency's currency and become
integers (minor units) here; the sums themselves are made by portal/proforma/totals.py."""
import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.forms import PortalForm, max_length, optional, required, without_control
from portal.money import amount_input, format_money, parse_amount, parse_percent, percent_input
from portal.proforma.totals import Deposit, Fee, Line, Quote, service_fee

MESSAGE_MAX = 2000
REASON_MAX = 200
OTHER_FEES = 3
MAX_VALIDITY_DAYS = 365


class SubForm(PortalForm):
    class Meta:
        csrf = False


class QuoteLineForm(SubForm):
    item_id = HiddenField()
    unit_price = StringField(_l("Prix unitaire"), [max_length(20)])
    unavailable = BooleanField(_l("Indisponible"))
    reason = StringField(_l("Raison"), [max_length(REASON_MAX)])


class OtherFeeForm(SubForm):
    label = StringField(_l("Libellé"), [max_length(120)])
    amount = StringField(_l("Montant"), [max_length(20)])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


@dataclass
class QuoteInput:
    """What the editor produced: the quote to price, and what the document says besides."""

    quote: Quote
    valid_until: date
    payment_method_ids: list[int]
    message: str | None
    service_fee_auto: bool
    base_version: int = 0


def _leaves(fields):
    """Every plain field of a form, inside its lists and sub-forms too."""
    for field in fields:
        if isinstance(field, FieldList | FormField):
            yield from _leaves(field)
        else:
            yield field


def _listify_errors(form) -> None:
    """Errors as lists everywhere (fields not validated yet hold a tuple)."""
    for field in _leaves(form):
        field.errors = list(field.errors)
    form.lines.errors = list(form.lines.errors) if isinstance(form.lines.errors, list) else []


def _clear_errors(form) -> None:
    for field in _leaves(form):
        field.errors = []
    form.lines.errors = []


class QuoteForm(PortalForm):
    base_version = HiddenField()  # the version being revised when the editor opened (0: none)
    lines = FieldList(FormField(QuoteLineForm))
    service_fee = StringField(_l("Frais de service"), [max_length(20)])
    shipping = StringField(_l("Transport international estimé"), [max_length(20)])
    other_fees = FieldList(FormField(OtherFeeForm), min_entries=OTHER_FEES,
                           max_entries=OTHER_FEES)
    deposit_mode = RadioField(_l("Acompte"), choices=[
        ("percent", _l("Pourcentage du total")), ("amount", _l("Montant fixe"))],
        default="percent")
    deposit_percent = StringField(_l("Pourcentage d'acompte"), [max_length(10)])
    deposit_amount = StringField(_l("Montant de l'acompte"), [max_length(20)])
    valid_until = DateField(_l("Valable jusqu'au"), [optional()])
    payment_methods = MultiCheckboxField(_l("Moyens de paiement proposés"), coerce=int)
    message = TextAreaField(_l("Message au membre (facultatif)"),
                            [optional(), max_length(MESSAGE_MAX)])

    def __init__(self, *args, order, settings, methods, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.order, self.settings, self.today = order, settings, today
        self.currency = settings.currency
        self.payment_methods.choices = [(m.id, m.name) for m in methods]
        self.result: QuoteInput | None = None

    # --- Reading the amounts -----------------------------------------------------------

    def _amount(self, field, required_message=None) -> int | None:
        """The field's amount in minor units; None when blank (an error when required)."""
        if not (field.data or "").strip():
            if required_message:
                field.errors.append(required_message)
            return None
        try:
            return parse_amount(field.data, self.currency)
        except ValueError:
            field.errors.append(self.amount_error())
            return None

    def amount_error(self):
        example = format_money(123456 if self.currency != "XOF" else 125000, self.currency)
        return _l("Montant invalide : un nombre positif, par exemple %(example)s.",
                  example=example)

    def _line(self, entry, item) -> Line:
        sub = entry.form
        if sub.unavailable.data:
            if not sub.reason.data:
                sub.reason.errors.append(_l("Indiquez pourquoi l'article est indisponible."))
            return Line(item.name, item.url, item.quantity, None,
                        sub.reason.data or "-", item.details, item.id)
        price = self._amount(sub.unit_price, _l("Indiquez un prix, ou cochez « indisponible »."))
        if price == 0:
            sub.unit_price.errors.append(_l("Le prix doit être supérieur à zéro."))
        return Line(item.name, item.url, item.quantity, price or 0, None, item.details, item.id)

    def _lines(self) -> list[Line]:
        items = list(self.order.items)
        sent = [entry.form.item_id.data for entry in self.lines]
        if sent != [str(item.id) for item in items]:
            self.lines.errors = [_l("La liste des articles a changé : rechargez la page.")]
            return []
        return [self._line(entry, item) for entry, item in zip(self.lines, items, strict=True)]

    def _fees(self, subtotal: int) -> tuple[list[Fee], bool]:
        fees, auto = [], not (self.service_fee.data or "").strip()
        if auto:
            amount = service_fee(subtotal, self.settings.service_fee_bp,
                                 self.settings.service_fee_minimum)
        else:
            amount = self._amount(self.service_fee) or 0
        if amount:
            fees.append(Fee("service", str(_l("Frais de service")), amount))
        shipping = self._amount(self.shipping)
        if shipping:
            fees.append(Fee("shipping", str(_l("Transport international estimé")), shipping))
        for entry in self.other_fees:
            fees.extend(self._other_fee(entry.form))
        return fees, auto

    def _other_fee(self, sub) -> list[Fee]:
        amount = self._amount(sub.amount)
        if amount is not None and not sub.label.data:
            sub.label.errors.append(_l("Donnez un libellé à ces frais."))
        if sub.label.data and amount is None and not sub.amount.errors:
            sub.amount.errors.append(_l("Indiquez le montant de ces frais."))
        return [Fee("other", sub.label.data, amount)] if amount and sub.label.data else []

    def _base_version(self) -> int:
        value = self.base_version.data or "0"
        return int(value) if value.isascii() and value.isdigit() and len(value) < 6 else -1

    def _deposit(self) -> Deposit:
        if self.deposit_mode.data == "amount":
            return Deposit("amount", self._amount(self.deposit_amount,
                                                  _l("Indiquez le montant de l'acompte.")) or 0)
        try:
            return Deposit("percent", parse_percent(self.deposit_percent.data or ""))
        except ValueError:
            self.deposit_percent.errors.append(_l("Un pourcentage entre 0 et 100."))
            return Deposit("percent", 0)

    def read_quote(self, quiet: bool = False) -> QuoteInput:
        """Parse every amount (errors go on their fields, unless `quiet`) and build the quote."""
        _clear_errors(self) if quiet else _listify_errors(self)
        lines = self._lines()
        subtotal = sum(line.total for line in lines)
        fees, auto = self._fees(subtotal)
        quote = Quote(lines, fees, self._deposit())
        result = QuoteInput(quote, self.valid_until.data or self.today,
                            list(self.payment_methods.data or []), self.message.data or None, auto,
                            self._base_version())
        if quiet:
            _clear_errors(self)
        return result

    # --- Validation ---------------------------------------------------------------------

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self.result = self.read_quote()
        self._check_whole(self.result)
        return valid and not self.has_errors()

    def has_errors(self) -> bool:
        return bool(self.lines.errors) or any(field.errors for field in _leaves(self))

    def _check_whole(self, result: QuoteInput) -> None:
        if result.quote.lines and not result.quote.available_lines:
            self.lines.errors = [*self.lines.errors, _l(
                "Tous les articles sont indisponibles : annulez plutôt la demande.")]
        if self.valid_until.data is None and not self.valid_until.errors:
            self.valid_until.errors.append(_l("Indiquez une date de validité."))
        elif self.valid_until.data and not (
                self.today <= self.valid_until.data
                <= self.today + timedelta(days=MAX_VALIDITY_DAYS)):
            self.valid_until.errors.append(_l("Une date entre aujourd'hui et dans un an."))
        if self.payment_methods.choices and not self.payment_methods.data:
            self.payment_methods.errors.append(_l("Proposez au moins un moyen de paiement."))
        totals = result.quote.totals()
        if result.quote.deposit.mode == "amount" and result.quote.deposit.value > totals.total:
            self.deposit_amount.errors.append(_l("L'acompte dépasse le total."))

    def validate_payment_methods(self, field):
        offered = {choice for choice, _label in field.choices}
        if any(choice not in offered for choice in field.data or []):
            raise ValidationError(_l("Choisissez parmi les moyens de paiement proposés."))


def initial_data(order, settings, methods, today: date, proforma=None) -> dict:
    """The editor's first values: the proforma being revised, or the agency's defaults."""
    currency = settings.currency
    if proforma is not None:
        return _from_proforma(order, proforma, methods, today)
    lines = [{"item_id": str(item.id), "unavailable": False, "reason": "",
              "unit_price": amount_input(item.seen_price, currency)
              if item.seen_currency == currency else ""} for item in order.items]
    return {"base_version": "0", "lines": lines, "deposit_mode": "percent",
            "deposit_percent": percent_input(settings.deposit_bp),
            "valid_until": today + timedelta(days=settings.proforma_validity_days),
            "payment_methods": [m.id for m in methods]}


def _from_proforma(order, proforma, methods, today: date) -> dict:
    content, currency = proforma.content, proforma.currency
    priced = {line.get("item_id"): line for line in content["lines"]}
    missing = {line.get("item_id"): line for line in content["unavailable"]}
    lines = []
    for item in order.items:
        line, gone = priced.get(item.id), missing.get(item.id)
        lines.append({"item_id": str(item.id), "unavailable": gone is not None,
                      "reason": gone["reason"] if gone else "",
                      "unit_price": amount_input(line["unit_price"], currency) if line else ""})
    fees = {fee["kind"]: fee for fee in content["fees"]}
    others = [{"label": fee["label"], "amount": amount_input(fee["amount"], currency)}
              for fee in content["fees"] if fee["kind"] == "other"]
    names = {m["name"] for m in content["payment_methods"]}
    percent = content.get("deposit_percent")
    return {
        "base_version": str(proforma.version),
        "lines": lines,
        "service_fee": amount_input(fees["service"]["amount"], currency)
        if "service" in fees else "0",
        "shipping": amount_input(fees["shipping"]["amount"], currency)
        if "shipping" in fees else "",
        "other_fees": others,
        "deposit_mode": "percent" if percent is not None else "amount",
        "deposit_percent": percent_input(percent) if percent is not None else "",
        "deposit_amount": amount_input(content["deposit"], currency) if percent is None else "",
        "valid_until": max(proforma.valid_until, today),
        "payment_methods": [m.id for m in methods if m.name in names],
        "message": content.get("message") or "",
    }


# The editor's field names: what a saved draft may keep of a posted form.
DRAFT_FIELD = re.compile(r"base_version|lines-\d{1,2}-(item_id|unit_price|unavailable|reason)|"
                         r"other_fees-\d-(label|amount)|service_fee|shipping|deposit_mode|"
                         r"deposit_percent|deposit_amount|valid_until|payment_methods|message")


def draft_fields(formdata) -> dict[str, list[str]]:
    """The editor's fields of a posted form, bounded in number and length, without the
    characters no form accepts (for a draft)."""
    return {key: [without_control(value)[:MESSAGE_MAX] for value in formdata.getlist(key)[:20]]
            for key in formdata if DRAFT_FIELD.fullmatch(key)}


class ChangeRequestForm(PortalForm):
    body = TextAreaField(_l("Ce que vous souhaitez changer"),
                         [required(), max_length(MESSAGE_MAX)])
