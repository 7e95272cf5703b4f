"""Back-office forms: partner shops, pickup points, terms and conditions."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from portal.forms import PortalForm, max_length, optional, required
from portal.members.forms import country_choices
from portal.requests.forms import web_address


class ShopForm(PortalForm):
    name = StringField(_l("Nom de la boutique"), [required(), max_length(120)])
    url = StringField(_l("Adresse du site"), [required(), max_length(2048), web_address])
    country = SelectField(_l("Pays"), [required()])
    description = TextAreaField(_l("Courte description (facultatif)"),
                                [optional(), max_length(500)])
    is_visible = BooleanField(_l("Visible par les membres"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()


class PickupPointForm(PortalForm):
    name = StringField(_l("Nom du point de retrait"), [required(), max_length(120)])
    address = TextAreaField(_l("Adresse"), [required(), max_length(500)])
    opening_hours = TextAreaField(_l("Horaires d'ouverture"), [required(), max_length(500)])
    is_active = BooleanField(_l("Proposé aux membres"), default=True)


class TermsForm(PortalForm):
    text = TextAreaField(_l("Texte des conditions générales"), [required(), max_length(50_000)],
                         description=_l("Publier crée une nouvelle version ; elle s'applique aux "
                                        "nouvelles demandes seulement."))
