"""Forms of the order thread and of the staff inbox."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField

from portal.forms import PortalForm, max_length, one_of, required
from portal.messaging.threads import BODY_MAX
from portal.payments.forms import ProofForm

CHANNELS = [("portal", _l("Portail seulement (notification dans son espace)")),
            ("email", _l("Portail et e-mail")),
            ("whatsapp", _l("Portail et WhatsApp"))]


class MessageForm(PortalForm):
    body = TextAreaField(_l("Votre message"), [required(), max_length(BODY_MAX)])


class StaffMessageForm(PortalForm):
    body = TextAreaField(_l("Message au membre"), [required(), max_length(BODY_MAX)])
    channel = SelectField(_l("Envoyer par"), [one_of(_l("Choisissez un canal de la liste."))],
                          choices=CHANNELS, validate_choice=False)


class FileMessageForm(PortalForm):
    reference = StringField(_l("Référence de la commande"), [required(), max_length(20)],
                            description=_l("Par exemple DEM-2026-0012."))


class HandOverForm(PortalForm):
    collected_by = StringField(_l("Remise à (nom de la personne)"),
                               [required(), max_length(120)])
    how = SelectField(_l("Mode de remise"), [one_of(_l("Choisissez un mode de la liste."))],
                      choices=[("pickup", _l("Retirée au point de retrait")),
                               ("delivered", _l("Livrée à domicile"))], validate_choice=False)


class PickupLookupForm(PortalForm):
    class Meta(PortalForm.Meta):
        csrf = False  # a search (GET): nothing changes

    code = StringField(_l("Code de remise"), [required(), max_length(20)],
                       description=_l("Tapez le code montré par le membre, ou scannez son QR code."))


class MediaProofForm(ProofForm):
    """The proof form for a file a member sent on WhatsApp: the file is already there."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self["file"]
