"""Forms of the cart, the request and the order pages."""
import re
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, ValidationError

from portal.forms import PortalForm, max_length, optional, required
from portal.money import CURRENCIES

CANCEL_NOTE_MAX = 500
PRICE_RANGE = _l("Indiquez un prix entre 0 et 10 000 000.")


def web_address(form, field):
    """Only http(s) links with a host: never javascript:, data:, ftp: and the like."""
    value = field.data or ""
    message = _l("Indiquez un lien qui commence par http:// ou https://.")
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # e.g. "http://[abc": an unterminated IPv6 address
        raise ValidationError(message) from None
    if parts.scheme.lower() not in ("http", "https") or not host or " " in value:
        raise ValidationError(message)


def quantity_field():
    # InputRequired, not DataRequired: 0 and "abc" are out of range, not missing.
    return IntegerField(
        _l("Quantité"),
        [InputRequired(message=_l("Ce champ est obligatoire.")),
         NumberRange(min=1, max=99, message=_l("La quantité va de 1 à 99."))],
        default=1)


class PriceField(DecimalField):
    """A decimal amount as people type it: "39,90" as well as "39.90"; never NaN or infinity."""

    def process_formdata(self, valuelist):
        if valuelist and isinstance(valuelist[0], str):
            valuelist = [re.sub(r"[\s\u202f]", "", valuelist[0]).replace(",", ".")]
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(PRICE_RANGE)


def address_choices(addresses) -> list[tuple[int, str]]:
    return [(a.id, f"{a.label} — {a.line1}, {a.city}") for a in addresses]


class ItemForm(PortalForm):
    name = StringField(_l("Nom de l'article"), [required(), max_length(200)])
    url = StringField(_l("Lien vers l'article"), [required(), max_length(2048), web_address],
                      description=_l("Copiez l'adresse de la page de l'article sur la boutique."))
    quantity = quantity_field()
    details = TextAreaField(_l("Détails (taille, couleur, modèle…)"), [optional(), max_length(1000)])
    seen_price = PriceField(
        _l("Prix vu sur la boutique (facultatif)"),
        [optional(), NumberRange(min=0, max=10_000_000, message=PRICE_RANGE)],
        places=None)
    seen_currency = SelectField(_l("Devise"), choices=[(c, c) for c in CURRENCIES], default="EUR")


class ItemEditForm(PortalForm):
    quantity = quantity_field()
    details = TextAreaField(_l("Détails (taille, couleur, modèle…)"), [optional(), max_length(1000)])


DELIVERY_CHOICES = [("pickup", _l("Retrait dans un de nos points de retrait")),
                    ("home", _l("Livraison à domicile"))]


class SubmitForm(PortalForm):
    address_id = RadioField(_l("Votre adresse"), [required()], coerce=int,
                            validate_choice=True)
    delivery_mode = RadioField(_l("Mode de livraison"), [required()], choices=DELIVERY_CHOICES)
    pickup_point_id = SelectField(_l("Point de retrait"), [optional()], coerce=int,
                                  validate_choice=False)
    accept_terms = BooleanField(
        _l("J'ai lu et j'accepte les conditions générales"),
        [DataRequired(message=_l("Vous devez accepter les conditions générales."))])

    def __init__(self, *args, addresses=(), pickup_points=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.address_id.choices = address_choices(addresses)
        self.pickup_point_id.choices = [(0, "—")] + [(p.id, p.name) for p in pickup_points]
        self.pickup_ids = {p.id for p in pickup_points}

    def validate_pickup_point_id(self, field):
        if self.delivery_mode.data == "pickup" and field.data not in self.pickup_ids:
            raise ValidationError(_l("Choisissez un point de retrait."))


class CancelForm(PortalForm):
    note = TextAreaField(_l("Pourquoi annulez-vous ? (facultatif)"),
                         [optional(), max_length(CANCEL_NOTE_MAX)])
    confirm = BooleanField(_l("Oui, je veux annuler cette commande"),
                           [DataRequired(message=_l("Cochez la case pour confirmer l'annulation."))])


class AddressChoiceForm(PortalForm):
    address_id = RadioField(_l("Nouvelle adresse"), [required()], coerce=int)

    def __init__(self, *args, addresses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.address_id.choices = address_choices(addresses)
