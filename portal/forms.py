"""Form building blocks shared by every package: trimmed text, safe text, search text, phone
numbers.

Every user-facing message is French through Flask-Babel (lazy, so it follows the locale).
"""
import re
from functools import cache

import phonenumbers
from babel.support import Translations
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

# C0/C1 control characters except tab, LF and CR (refused everywhere), plus bidi overrides.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK = re.compile(r"[\r\n\t]")


def strip(value):
    return value.strip() if isinstance(value, str) else value


def without_control(text: str) -> str:
    """`text` without the characters no form accepts (what a draft may keep of them)."""
    return _CONTROL.sub("", text)


def search_text(text: str | None, limit: int) -> str:
    """What a search uses of typed text: control characters and line breaks dropped
    (PostgreSQL refuses NUL in a query), trimmed, at most `limit` characters."""
    return _LINE_BREAK.sub(" ", without_control(text or "")).strip()[:limit]


class PortalForm(FlaskForm):
    """Base form: every text field is trimmed and refuses control characters."""

    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            field = unbound_field.bind(form=form, **options)
            if isinstance(field, StringField):
                if not isinstance(field, PasswordField):
                    field.filters = (strip, *field.filters)
                field.validators = [*field.validators, safe_text]
            return field

        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return WTFORMS_MESSAGES


class WTFormsMessages:
    """WTForms' own messages ("N'est pas un choix valide.") in the locale of the moment one is
    needed (as Flask-WTF: a view may change the language after building its form), from a
    catalogue read once per language — Flask-WTF read and parsed it in every request."""

    def gettext(self, string: str) -> str:
        return wtforms_catalogue(str(get_locale())).gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return wtforms_catalogue(str(get_locale())).ngettext(singular, plural, n)


WTFORMS_MESSAGES = WTFormsMessages()


@cache
def wtforms_catalogue(locale: str) -> Translations:
    return Translations.load(messages_path(), [locale], domain="wtforms")


def safe_text(form, field):
    value = field.data
    if not isinstance(value, str):
        return
    if _CONTROL.search(value):
        raise ValidationError(_l("Ce texte contient des caractères non autorisés."))
    multiline = field.type == "TextAreaField"
    if not multiline and field.type != "PasswordField" and _LINE_BREAK.search(value):
        raise ValidationError(_l("Ce champ doit tenir sur une seule ligne."))


def required():
    return DataRequired(message=_l("Ce champ est obligatoire."))


def optional():
    return Optional()


def max_length(n: int):
    return Length(max=n, message=_l("%(max)d caractères au maximum.", max=n))


def length_between(low: int, high: int):
    return Length(min=low, max=high,
                  message=_l("Entre %(min)d et %(max)d caractères.", min=low, max=high))


def email_address():
    return [required(), max_length(254),
            Email(message=_l("Adresse e-mail invalide."), check_deliverability=False)]


def phone_number(form, field):
    """Validate a phone number and replace it by its E.164 form (+2250701020304)."""
    if not field.data:
        return
    region = current_app.config["PHONE_DEFAULT_REGION"]
    try:
        number = phonenumbers.parse(field.data, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _l("Numéro de téléphone invalide : indiquez-le avec l'indicatif du pays, "
               "par exemple +225 07 01 02 03 04.")
        )
    field.data = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def blank_to_none(value):
    return value or None


def one_of(message):
    """A choice field's check with our own French message (use with validate_choice=False)."""
    def check(form, field):
        if field.data not in {code for code, _label in field.choices}:
            raise ValidationError(message)
    return check
