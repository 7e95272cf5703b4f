"""Admins set the agency's identity, legal mentions, currency, time zone and quoting defaults,
and the payment methods members are offered. Amounts are typed in the currency chosen and kept
in minor units, percentages kept in basis points; every bad input is refused in French and
nothing is saved; only admins reach these pages."""
import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from portal.extensions import db
from portal.money import parse_percent, percent_input
from portal.staff.models import AgencySettings, PaymentMethod, active_payment_methods
from tests.factories import login, make_user
from tests.requests.helpers import page_text

SETTINGS_URL = "/equipe/parametres"
LOGO_URL = "/equipe/parametres/logo"
METHODS_URL = "/equipe/moyens-de-paiement"
SAVED = "Les paramètres sont enregistrés."
FORM_ERROR = "Le formulaire contient des erreurs"
PERCENT = "Indiquez un pourcentage entre 0 et 100, avec deux décimales au plus"
AMOUNT_EUR = "avec 2 décimales au plus"
AMOUNT_XOF = "pas de décimales en XOF"
VALIDITY = "Indiquez une durée de 1 à 365 jours."

SETTINGS = {
    "company_name": "Achats Lagune",
    "company_address": "Rue du Commerce 4\nPlateau, Abidjan",
    "company_phone": "27 20 30 40 50",
    "company_whatsapp": "+33 6 12 34 56 78",
    "company_email": "contact@lagune.example",
    "siret": "123 456 789 00012",
    "ninea": "0012345 2G3",
    "rccm": "CI-ABJ-2020-B-12345",
    "vat_number": "FR12345678901",
    "legal_mentions": "SARL au capital de 1 000 000 F CFA.\nTribunal de commerce d'Abidjan.",
    "currency": "EUR",
    "locale": "fr_CI",
    "timezone": "Africa/Abidjan",
    "service_fee_percent": "7,5",
    "service_fee_minimum": "12,50",
    "deposit_percent": "30",
    "proforma_validity_days": "10",
    "transport_rate_per_kg": "8.5",
    "staff_notification_email": "equipe@lagune.example",
}
STORED = {
    "company_name": "Achats Lagune",
    "company_address": "Rue du Commerce 4\nPlateau, Abidjan",
    "company_phone": "+2252720304050",
    "company_whatsapp": "+33612345678",
    "company_email": "contact@lagune.example",
    "siret": "123 456 789 00012",
    "ninea": "0012345 2G3",
    "rccm": "CI-ABJ-2020-B-12345",
    "vat_number": "FR12345678901",
    "legal_mentions": "SARL au capital de 1 000 000 F CFA.\nTribunal de commerce d'Abidjan.",
    "currency": "EUR",
    "locale": "fr_CI",
    "timezone": "Africa/Abidjan",
    "service_fee_bp": 750,
    "service_fee_minimum": 1250,
    "deposit_bp": 3000,
    "proforma_validity_days": 10,
    "transport_rate_per_kg": 850,
    "staff_notification_email": "equipe@lagune.example",
    "logo_key": None,
}


def stored(app) -> dict | None:
    """The stored settings row as plain values, or None when nothing was ever saved."""
    with app.app_context():
        row = db.session.get(AgencySettings, 1)
        return row and {name: getattr(row, name) for name in STORED}


def methods(app) -> list[tuple[str, str, bool]]:
    """Every payment method, in the members' order, as (name, instructions, active)."""
    with app.app_context():
        rows = db.session.scalars(select(PaymentMethod).order_by(PaymentMethod.position,
                                                                 PaymentMethod.id))
        return [(m.name, m.instructions, m.is_active) for m in rows]


def method_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(PaymentMethod.id).where(PaymentMethod.name == name))


def picture(fmt: str = "JPEG", colour: str = "navy") -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (900, 300), colour).save(output, format=fmt)
    return output.getvalue()


def stored_file(app, key: str) -> Path:
    return Path(app.config["UPLOAD_ROOT"]) / key


def signed_in(app, client, role: str):
    with app.app_context():
        make_user(f"{role}@agence.example", role=role, full_name=f"Compte {role}")
    assert login(client, f"{role}@agence.example").status_code == 302
    return client


@pytest.fixture
def admin(app, client):
    return signed_in(app, client, "admin")


def save(client, **fields):
    return client.post_form(SETTINGS_URL, SETTINGS | fields)


def upload_logo(client, data: bytes, filename: str = "logo.png", **fields):
    form = SETTINGS | fields | {"logo": (io.BytesIO(data), filename)}
    return client.post_form(SETTINGS_URL, form, content_type="multipart/form-data")


# --- Saving the settings ------------------------------------------------------------------

def test_the_page_shows_every_section_prefilled_with_the_defaults(app, admin):
    page = page_text(admin.get(SETTINGS_URL))
    for heading in ("Identité", "Mentions légales", "Monnaie et heure", "Devis", "Équipe"):
        assert heading in page
    html = admin.get(SETTINGS_URL).get_data(as_text=True)
    assert 'value="10"' in html  # service fee 10 %
    assert 'value="50"' in html  # deposit 50 %
    assert stored(app) is None


def test_an_admin_saves_every_setting_in_euros(app, admin):
    response = save(admin)
    assert response.status_code == 302 and response.location.endswith(SETTINGS_URL)
    assert SAVED in page_text(admin.get(SETTINGS_URL))
    assert stored(app) == STORED


def test_the_form_is_prefilled_with_what_was_saved(app, admin):
    save(admin)
    html = admin.get(SETTINGS_URL).get_data(as_text=True)
    for value in ('value="12,50"', 'value="8,50"', 'value="7,5"', 'value="30"',
                  'value="+33612345678"', '<option selected value="Africa/Abidjan">',
                  '<option selected value="fr_CI">', '<option selected value="EUR">'):
        assert value in html


def test_amounts_in_francs_cfa_have_no_decimals(app, admin):
    save(admin, currency="XOF", service_fee_minimum="2 500", transport_rate_per_kg="1500",
         service_fee_percent="12,25", deposit_percent="100", locale="fr_SN",
         timezone="Africa/Dakar")
    assert stored(app) == STORED | {
        "currency": "XOF", "service_fee_minimum": 2500, "transport_rate_per_kg": 1500,
        "service_fee_bp": 1225, "deposit_bp": 10_000, "locale": "fr_SN",
        "timezone": "Africa/Dakar"}
    assert 'value="2500"' in admin.get(SETTINGS_URL).get_data(as_text=True)


def test_amounts_are_read_in_the_currency_chosen_in_the_same_submit(app, admin):
    save(admin)  # in euros
    response = save(admin, currency="XOF", service_fee_minimum="12,50")
    assert AMOUNT_XOF in page_text(response)
    assert stored(app) == STORED
    save(admin, currency="XOF", service_fee_minimum="1250", transport_rate_per_kg="0")
    assert stored(app)["service_fee_minimum"] == 1250
    assert stored(app)["transport_rate_per_kg"] == 0


def test_optional_fields_may_be_left_blank(app, admin):
    blanks = ("company_address", "company_phone", "company_whatsapp", "company_email", "siret",
              "ninea", "rccm", "vat_number", "legal_mentions", "staff_notification_email")
    save(admin, **dict.fromkeys(blanks, ""))
    assert stored(app) == STORED | dict.fromkeys(blanks)


def test_text_is_shown_escaped(app, admin):
    save(admin, company_name="<script>alert(1)</script>")
    html = admin.get(SETTINGS_URL).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize("field, value, message", [
    ("company_name", "", "Ce champ est obligatoire."),
    ("company_name", "x" * 161, "160 caractères au maximum."),
    ("company_name", "Achats\u202eLagune", "caractères non autorisés"),
    ("company_name", "Achats\nLagune", "une seule ligne"),
    ("company_address", "Rue\x00 4", "caractères non autorisés"),
    ("company_address", "x" * 501, "500 caractères au maximum."),
    ("company_phone", "12345", "Numéro de téléphone invalide"),
    ("company_whatsapp", "+33 6 12", "Numéro de téléphone invalide"),
    ("company_whatsapp", "<script>", "Numéro de téléphone invalide"),
    ("company_email", "pas-une-adresse", "Adresse e-mail invalide."),
    ("siret", "x" * 41, "40 caractères au maximum."),
    ("rccm", "RCCM\u2066", "caractères non autorisés"),
    ("legal_mentions", "x" * 5001, "5000 caractères au maximum."),
    ("legal_mentions", "Mentions\x1b[31m", "caractères non autorisés"),
    ("currency", "BTC", "Choisissez une devise de la liste."),
    ("currency", "", "Choisissez une devise de la liste."),
    ("locale", "en_US", "Choisissez un format de la liste."),
    ("timezone", "Mars/Olympus_Mons", "Choisissez un fuseau horaire de la liste."),
    ("timezone", "../../etc/passwd", "Choisissez un fuseau horaire de la liste."),
    ("timezone", "America/New_York", "Choisissez un fuseau horaire de la liste."),
    ("service_fee_percent", "", "Ce champ est obligatoire."),
    ("service_fee_percent", "101", PERCENT),
    ("service_fee_percent", "-5", PERCENT),
    ("service_fee_percent", "7,125", PERCENT),
    ("service_fee_percent", "1e2", PERCENT),
    ("service_fee_percent", "NaN", PERCENT),
    ("deposit_percent", "100,01", PERCENT),
    ("deposit_percent", "9" * 40, PERCENT),
    ("service_fee_minimum", "", "Ce champ est obligatoire."),
    ("service_fee_minimum", "-1", AMOUNT_EUR),
    ("service_fee_minimum", "1,255", AMOUNT_EUR),
    ("service_fee_minimum", "10000000000", AMOUNT_EUR),
    ("service_fee_minimum", "9" * 400, AMOUNT_EUR),
    ("service_fee_minimum", "1e3", AMOUNT_EUR),
    ("service_fee_minimum", "Infinity", AMOUNT_EUR),
    ("transport_rate_per_kg", "abc", AMOUNT_EUR),
    ("proforma_validity_days", "", "Ce champ est obligatoire."),
    ("proforma_validity_days", "0", VALIDITY),
    ("proforma_validity_days", "366", VALIDITY),
    ("proforma_validity_days", "-1", VALIDITY),
    ("proforma_validity_days", "7.5", VALIDITY),
    ("proforma_validity_days", "99999999999999999999", VALIDITY),
    ("staff_notification_email", "equipe@", "Adresse e-mail invalide."),
])
def test_bad_input_is_refused_in_french_and_nothing_is_saved(app, admin, field, value, message):
    save(admin)
    response = save(admin, **{field: value})
    assert response.status_code == 200
    page = page_text(response)
    assert FORM_ERROR in page and message in page
    assert stored(app) == STORED


@pytest.mark.parametrize("field, value", [
    ("service_fee_minimum", "2500,5"),
    ("transport_rate_per_kg", "0,5"),
])
def test_decimals_are_refused_in_francs_cfa(app, admin, field, value):
    fields = {"currency": "XOF", "service_fee_minimum": "2500", "transport_rate_per_kg": "1000"}
    response = save(admin, **fields | {field: value})
    assert AMOUNT_XOF in page_text(response)
    assert stored(app) is None


@pytest.mark.parametrize("text, basis_points", [
    ("0", 0), ("10", 1000), ("7,5", 750), ("7.5", 750), ("12,25", 1225), ("100", 10_000),
    ("5 %", 500), ("0,01", 1),
])
def test_percentages_become_basis_points_and_back(text, basis_points):
    assert parse_percent(text) == basis_points
    assert parse_percent(percent_input(basis_points)) == basis_points


# --- The company logo ---------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_an_uploaded_logo_is_stored_as_a_small_png(app, admin, fmt):
    assert upload_logo(admin, picture(fmt), "logo.img").status_code == 302
    key = stored(app)["logo_key"]
    assert key and key.endswith(".png") and stored_file(app, key).exists()
    assert f'src="{LOGO_URL}"' in admin.get(SETTINGS_URL).get_data(as_text=True)
    served = admin.get(LOGO_URL)
    assert served.status_code == 200 and served.mimetype == "image/png"
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.format == "PNG" and max(image.size) <= 256


def test_a_logo_is_replaced_then_removed_and_old_files_are_deleted(app, admin):
    upload_logo(admin, picture())
    first = stored(app)["logo_key"]
    upload_logo(admin, picture("PNG", "orange"))
    second = stored(app)["logo_key"]
    assert second != first
    assert not stored_file(app, first).exists() and stored_file(app, second).exists()
    save(admin)  # no upload, no removal: the logo stays
    assert stored(app)["logo_key"] == second
    save(admin, remove_logo="y")
    assert stored(app)["logo_key"] is None
    assert not stored_file(app, second).exists()
    assert admin.get(LOGO_URL).status_code == 404


@pytest.mark.parametrize("data, filename", [
    (b"<script>alert(1)</script>", "logo.png"),
    (b"%PDF-1.7\n1 0 obj\n", "logo.jpg"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "logo.png"),
])
def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_saved(app, admin, data, filename):
    response = upload_logo(admin, data, filename)
    assert response.status_code == 200
    assert "Ce fichier n'est pas une image lisible." in page_text(response)
    assert stored(app) is None


def test_a_logo_over_2_mb_is_refused(app, admin):
    response = upload_logo(admin, b"\xff" * (2 * 1024 * 1024 + 1), "big.jpg")
    assert "Le logo dépasse 2 Mo." in page_text(response)
    assert stored(app) is None


# --- Payment methods ----------------------------------------------------------------------

def add_method(client, name: str, instructions: str = "Envoyez au +225 07 00 00 00 00.",
               active: bool = True):
    return client.post_form(METHODS_URL, {"name": name, "instructions": instructions,
                                          "is_active": "y" if active else ""})


def test_an_admin_adds_payment_methods_in_order(app, admin):
    response = add_method(admin, "Orange Money")
    assert response.status_code == 302 and response.location.endswith(METHODS_URL)
    add_method(admin, "Virement bancaire", "IBAN CI00 0000\nBénéficiaire : Achats Lagune")
    add_method(admin, "Espèces à l'agence", "Au Plateau, 9 h – 18 h.", active=False)
    page = page_text(admin.get(METHODS_URL))
    assert "Le moyen de paiement « Espèces à l'agence » est enregistré." in page
    assert "masqué" in page
    assert methods(app) == [
        ("Orange Money", "Envoyez au +225 07 00 00 00 00.", True),
        ("Virement bancaire", "IBAN CI00 0000\nBénéficiaire : Achats Lagune", True),
        ("Espèces à l'agence", "Au Plateau, 9 h – 18 h.", False)]
    with app.app_context():
        assert [m.name for m in active_payment_methods()] == ["Orange Money",
                                                               "Virement bancaire"]


def test_an_admin_edits_a_payment_method(app, admin):
    add_method(admin, "Wave")
    url = f"{METHODS_URL}/{method_id(app, 'Wave')}"
    assert "Envoyez au +225 07 00 00 00 00." in page_text(admin.get(url))
    admin.post_form(url, {"name": "Wave Sénégal", "instructions": "Au +221 77 000 00 00.",
                          "is_active": "y"})
    assert methods(app) == [("Wave Sénégal", "Au +221 77 000 00 00.", True)]


def test_payment_methods_are_hidden_shown_and_moved(app, admin):
    for name in ("Orange Money", "Wave", "Virement"):
        add_method(admin, name)
    wave, virement = method_id(app, "Wave"), method_id(app, "Virement")
    response = admin.post_form(f"{METHODS_URL}/{wave}/activation", follow_redirects=True)
    assert "« Wave » n'est plus proposé aux membres." in page_text(response)
    admin.post_form(f"{METHODS_URL}/{virement}/deplacer/haut")
    admin.post_form(f"{METHODS_URL}/{virement}/deplacer/haut")
    admin.post_form(f"{METHODS_URL}/{virement}/deplacer/haut")  # already first: no change
    assert [name for name, _text, _active in methods(app)] == ["Virement", "Orange Money",
                                                                "Wave"]
    with app.app_context():
        assert [m.name for m in active_payment_methods()] == ["Virement", "Orange Money"]
    admin.post_form(f"{METHODS_URL}/{wave}/activation")
    admin.post_form(f"{METHODS_URL}/{virement}/deplacer/bas")
    with app.app_context():
        assert [m.name for m in active_payment_methods()] == ["Orange Money", "Virement",
                                                               "Wave"]
    assert admin.post_form(f"{METHODS_URL}/{wave}/deplacer/travers").status_code == 404
    assert admin.post_form(f"{METHODS_URL}/999999/activation").status_code == 404


@pytest.mark.parametrize("name, instructions, message", [
    ("", "Au +225 07 00 00 00 00.", "Ce champ est obligatoire."),
    ("Wave", "", "Ce champ est obligatoire."),
    ("x" * 121, "Au guichet.", "120 caractères au maximum."),
    ("Wave", "x" * 2001, "2000 caractères au maximum."),
    ("Wave\nMoney", "Au guichet.", "une seule ligne"),
    ("Wave", "Au\x00guichet", "caractères non autorisés"),
])
def test_a_bad_payment_method_is_refused_in_french(app, admin, name, instructions, message):
    response = add_method(admin, name, instructions)
    assert response.status_code == 200
    assert message in page_text(response)
    assert methods(app) == []


# --- Who may come here --------------------------------------------------------------------

@pytest.fixture
def method(app):
    with app.app_context():
        row = PaymentMethod(name="Wave", instructions="Au +225 07.", position=1)
        db.session.add(row)
        db.session.commit()
        return row.id


def admin_routes(method_id: int) -> list[tuple[str, str]]:
    return [("GET", SETTINGS_URL), ("POST", SETTINGS_URL), ("GET", METHODS_URL),
            ("POST", METHODS_URL), ("GET", f"{METHODS_URL}/{method_id}"),
            ("POST", f"{METHODS_URL}/{method_id}"),
            ("POST", f"{METHODS_URL}/{method_id}/activation"),
            ("POST", f"{METHODS_URL}/{method_id}/deplacer/bas")]


def attempt(client, verb: str, url: str):
    data = SETTINGS | {"name": "Piraté", "instructions": "Piraté", "is_active": ""}
    return client.get(url) if verb == "GET" else client.post_form(url, data)


@pytest.mark.parametrize("role", ["staff", "member"])
def test_only_admins_reach_the_settings(app, client, method, role):
    signed_in(app, client, role)
    for verb, url in admin_routes(method):
        assert attempt(client, verb, url).status_code == 403, (verb, url)
    assert stored(app) is None
    assert methods(app) == [("Wave", "Au +225 07.", True)]


def test_visitors_are_sent_to_login(app, client, method):
    for verb, url in [*admin_routes(method), ("GET", LOGO_URL)]:
        response = attempt(client, verb, url)
        assert response.status_code == 302 and "/connexion" in response.location, (verb, url)
    assert stored(app) is None
    assert methods(app) == [("Wave", "Au +225 07.", True)]


@pytest.mark.parametrize("role, status", [("staff", 200), ("member", 403)])
def test_staff_may_preview_the_logo_members_may_not(app, client, other_client, role, status):
    upload_logo(signed_in(app, other_client, "admin"), picture())
    signed_in(app, client, role)
    assert client.get(LOGO_URL).status_code == status


def test_a_post_without_its_csrf_token_is_refused_and_nothing_changes(app, admin, method):
    assert admin.post(SETTINGS_URL, data=SETTINGS).status_code == 400
    assert admin.post(METHODS_URL, data={"name": "Cash", "instructions": "Ici."}
                      ).status_code == 400
    assert admin.post(f"{METHODS_URL}/{method}/activation").status_code == 400
    assert stored(app) is None
    assert methods(app) == [("Wave", "Au +225 07.", True)]
