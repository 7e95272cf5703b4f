"""Back-office forms: partner shops, pickup points, terms and conditions."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from portal.forms import PortalForm, max_length, optional, required
from portal.images import NotAnImage, clean_logo
from portal.members.forms import country_choices
from portal.requests.forms import web_address

LOGO_MAX_BYTES = 2 * 1024 * 1024


class ShopForm(PortalForm):
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

    def validate_logo(self, field):
        """Read the upload and keep a clean PNG of it in `self.logo_png` (None when absent)."""
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


class PickupPointForm(PortalForm):
    name = StringField(_l("Nom du point de retrait"), [required(), max_length(120)])
    address = TextAreaField(_l("Adresse"), [required(), max_length(500)])
    opening_hours = TextAreaField(_l("Horaires d'ouverture"), [required(), max_length(500)])
    is_active = BooleanField(_l("Proposé aux membres"), default=True)


class TermsForm(PortalForm):
    text = TextAreaField(_l("Texte des conditions générales"), [required(), max_length(50_000)],
                         description=_l("Publier crée une nouvelle version ; elle s'applique aux "
                                        "nouvelles demandes seulement."))
