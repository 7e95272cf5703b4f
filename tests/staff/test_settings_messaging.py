"""Admins write the messages members get when an order is ready (pickup and delivery texts with
placeholders), choose after how many days a ready order is recalled, and give the approved
WhatsApp template of each kind of message. A text using a placeholder the portal cannot fill,
a bad number of days or a bad template identifier is refused in French and nothing is saved;
only admins reach the page."""
from datetime import timedelta

import pytest

from portal.clock import utcnow
from portal.extensions import db
from portal.messaging import whatsapp
from portal.requests import pickup
from portal.staff.models import AgencySettings
from tests.factories import make_order, make_user
from tests.members.helpers import text_of
from tests.requests.helpers import page_text
from tests.staff.test_settings import FORM_ERROR, SAVED, SETTINGS, SETTINGS_URL, signed_in

SID = "HX" + "0123456789abcdef" * 2
OTHER_SID = "HX" + "FEDCBA9876543210" * 2
PICKUP_TEXT = ("Bonjour {nom}, votre commande {reference} vous attend à {point} "
               "({adresse}, {horaires}).\nCode : {code}. Suivi : {lien}")
DELIVERY_TEXT = "Bonjour {nom}, nous livrons {reference} à :\n{adresse}\nCode : {code}."
MESSAGES = {
    "pickup_message": PICKUP_TEXT,
    "delivery_message": DELIVERY_TEXT,
    "pickup_reminder_days": "5",
    "whatsapp_status_changed": SID,
    "whatsapp_pickup_ready": OTHER_SID,
}
STORED = {
    "pickup_message": PICKUP_TEXT,
    "delivery_message": DELIVERY_TEXT,
    "pickup_reminder_days": 5,
    "whatsapp_templates": {"status_changed": SID, "pickup_ready": OTHER_SID},
}
NOTHING_STORED = {"pickup_message": None, "delivery_message": None,
                  "pickup_reminder_days": 3, "whatsapp_templates": None}
UNKNOWN = "Variable inconnue : {%s}. Utilisez seulement {nom}, {reference}, {code}, {point}, " \
          "{adresse}, {horaires}, {lien}."
BRACE = "Une accolade n'est pas fermée"
DAYS = "Indiquez un nombre de jours entre 0 et 90 (0 : pas de rappel)."
BAD_SID = "Indiquez l'identifiant du modèle approuvé (Content SID)"


@pytest.fixture
def admin(app, client):
    return signed_in(app, client, "admin")


def save(client, **fields):
    return client.post_form(SETTINGS_URL, SETTINGS | MESSAGES | fields)


def stored(app) -> dict | None:
    with app.app_context():
        row = db.session.get(AgencySettings, 1)
        return row and {name: getattr(row, name) for name in STORED}


# --- The page -----------------------------------------------------------------------------

def test_the_page_explains_the_placeholders_the_defaults_and_the_whatsapp_variables(app, admin):
    response = admin.get(SETTINGS_URL)
    page, html = page_text(response), text_of(response)
    assert "Messages aux membres" in page
    assert "{nom}, {reference}, {code}, {point}, {adresse}, {horaires}, {lien}" in page
    assert "0 : pas de rappel" in page
    for variable in ("{{1}} le prénom", "{{2}} la référence de la commande",
                     "{{3}} ce qui se passe", "{{4}} le lien de la commande"):
        assert variable in page
    assert "hors de la fenêtre de 24 heures part par e-mail" in page
    with app.test_request_context():
        default_pickup, default_delivery = str(pickup.DEFAULT_PICKUP), str(pickup.DEFAULT_DELIVERY)
    assert f'placeholder="{default_pickup}"' in html  # greyed in the empty field
    assert f"{default_delivery}</pre>" in html  # and shown to copy from
    assert 'value="3"' in html  # the reminder's default


@pytest.mark.parametrize("name, described", [
    ("pickup_message", True), ("delivery_message", True), ("pickup_reminder_days", True),
    *((f"whatsapp_{kind}", False) for kind in whatsapp.KINDS),
])
def test_every_new_field_has_its_label_and_help(app, admin, name, described):
    html = text_of(admin.get(SETTINGS_URL))
    assert f'<label class="form-label" for="{name}">' in html
    assert (f'aria-describedby="{name}-help"' in html) is described
    if not described:  # the template fields share the help of their group
        assert 'aria-describedby="whatsapp-templates-help"' in html


# --- Saving -------------------------------------------------------------------------------

def test_an_admin_saves_the_messages_the_reminder_and_the_templates(app, admin):
    response = save(admin)
    assert response.status_code == 302 and response.location.endswith(SETTINGS_URL)
    assert SAVED in page_text(admin.get(SETTINGS_URL))
    assert stored(app) == STORED
    with app.app_context():
        assert whatsapp.template_for("status_changed") == SID
        assert whatsapp.template_for("document_issued") is None


def test_the_form_is_prefilled_with_what_was_saved(app, admin):
    save(admin)
    html = text_of(admin.get(SETTINGS_URL))
    assert f"{PICKUP_TEXT}</textarea>" in html
    assert f"{DELIVERY_TEXT}</textarea>" in html
    for value in ('value="5"', f'value="{SID}"', f'value="{OTHER_SID}"'):
        assert value in html
    save(admin)  # saving the page again as shown changes nothing
    assert stored(app) == STORED


@pytest.mark.parametrize("kind", whatsapp.KINDS)
def test_every_kind_of_message_may_have_its_template(app, admin, kind):
    blank = {f"whatsapp_{other}": "" for other in whatsapp.KINDS}
    save(admin, **blank | {f"whatsapp_{kind}": f"  {SID}  "})
    assert stored(app)["whatsapp_templates"] == {kind: SID}


def test_blank_messages_and_templates_are_stored_as_none(app, admin):
    save(admin)
    save(admin, pickup_message="  ", delivery_message="",
         **{f"whatsapp_{kind}": "" for kind in whatsapp.KINDS})
    assert stored(app) == STORED | {"pickup_message": None, "delivery_message": None,
                                    "whatsapp_templates": None}


def test_zero_days_turns_the_reminder_off(app, admin):
    with app.app_context():
        member = make_user("awa@example.com")
        order = make_order(member, "ready")
        order.status_changed_at = utcnow() - timedelta(days=10)
        db.session.commit()
    save(admin, pickup_reminder_days="7")
    with app.app_context():
        assert [order.reference for order in pickup.reminders_due()] == ["DEM-2026-90001"]
    save(admin, pickup_reminder_days="0")
    assert stored(app)["pickup_reminder_days"] == 0
    with app.app_context():
        assert pickup.reminders_due() == []


def test_a_saved_message_is_the_one_members_read(app, admin):
    save(admin, pickup_message="Bonjour {nom} : {reference} au {point}, code {code}.")
    with app.app_context():
        member = make_user("awa@example.com")
        order = make_order(member, "ready")
        pickup.ensure_code(order)
        text = pickup.arrangement_text(order)
        assert text == (f"Bonjour Awa Koné : {order.reference} au Agence Plateau, "
                        f"code {order.pickup_code}.")


# --- Bad input ----------------------------------------------------------------------------

@pytest.mark.parametrize("field, value, message", [
    ("pickup_message", "Bonjour {prenom}, c'est prêt.", UNKNOWN % "prenom"),
    ("delivery_message", "Bonjour {Nom}.", UNKNOWN % "Nom"),
    ("pickup_message", "Bonjour {prenom} {ville} {prenom}",
     "Variables inconnues : {prenom}, {ville}."),
    ("pickup_message", "Code : {}", UNKNOWN % ""),
    ("pickup_message", "Bonjour {nom, c'est prêt.", BRACE),
    ("delivery_message", "Bonjour nom}.", BRACE),
    ("pickup_message", "Bonjour {{nom}}.", BRACE),
    ("pickup_message", "x" * 2001, "2000 caractères au maximum."),
    ("delivery_message", "Bonjour\x1b[31m {nom}", "caractères non autorisés"),
    ("pickup_reminder_days", "abc", DAYS),
    ("pickup_reminder_days", "-1", DAYS),
    ("pickup_reminder_days", "91", DAYS),
    ("pickup_reminder_days", "2,5", DAYS),
    ("pickup_reminder_days", "9" * 40, DAYS),
    ("pickup_reminder_days", "", "Ce champ est obligatoire."),
    ("whatsapp_status_changed", "HX123", BAD_SID),
    ("whatsapp_document_issued", "MG" + "0" * 32, BAD_SID),
    ("whatsapp_pickup_ready", "HX" + "g" * 32, BAD_SID),
    ("whatsapp_pickup_reminder", SID + "0", BAD_SID),
    ("whatsapp_staff_message", "HX 0123456789abcdef0123456789abcdef", BAD_SID),
    ("whatsapp_staff_message", "<script>alert(1)</script>", BAD_SID),
])
def test_bad_input_is_refused_in_french_and_nothing_is_saved(app, admin, field, value, message):
    save(admin)
    response = save(admin, **{field: value})
    assert response.status_code == 200
    page = page_text(response)
    assert FORM_ERROR in page and message in page
    assert stored(app) == STORED


def test_nothing_is_stored_when_the_first_save_is_refused(app, admin):
    response = save(admin, pickup_message="{prenom}")
    assert response.status_code == 200
    assert stored(app) is None
    with app.app_context():
        assert {name: getattr(AgencySettings.get(), name)
                for name in NOTHING_STORED} == NOTHING_STORED


# --- Who may come here --------------------------------------------------------------------

def test_a_post_without_its_csrf_token_is_refused_and_nothing_changes(app, admin):
    save(admin)
    changed = SETTINGS | MESSAGES | {"pickup_message": "Piraté {nom}", "pickup_reminder_days": "0",
                                     "whatsapp_staff_message": SID}
    assert admin.post(SETTINGS_URL, data=changed).status_code == 400
    assert stored(app) == STORED


@pytest.mark.parametrize("role", ["staff", "member"])
def test_only_admins_change_the_messages(app, client, role):
    signed_in(app, client, role)
    assert client.get(SETTINGS_URL).status_code == 403
    assert client.post_form(SETTINGS_URL, SETTINGS | MESSAGES).status_code == 403
    assert stored(app) is None
