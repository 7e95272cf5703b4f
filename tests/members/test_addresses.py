"""Address book: add, edit, delete, choose the default (always exactly one once there is an
address), bad input refused in French, and another member's address never reachable."""
import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.members.models import Address
from tests.factories import login, make_address, make_user
from tests.members.helpers import text_of, user_by_email

EMAIL = "awa@example.com"
HOME = {
    "label": "Maison", "recipient": "Awa Koné", "line1": "Rue des Jardins 12",
    "line2": "Résidence Les Palmiers", "postal_code": "01 BP 1234", "city": "Abidjan",
    "country": "CI", "phone": "07 01 02 03 04", "instructions": "Sonner deux fois.\nPortail vert.",
}


@pytest.fixture
def member(app, client):
    with app.app_context():
        make_user(EMAIL)
    login(client)


def book(app, email: str = EMAIL) -> list[dict]:
    """The member's addresses, in order, as plain values."""
    with app.app_context():
        user_id = user_by_email(app, email).id
        rows = db.session.scalars(select(Address).where(Address.user_id == user_id)
                                  .order_by(Address.id)).all()
        return [{"id": a.id, "label": a.label, "default": a.is_default, "line1": a.line1,
                 "line2": a.line2, "postal_code": a.postal_code, "city": a.city,
                 "country": a.country, "phone": a.phone, "instructions": a.instructions,
                 "recipient": a.recipient} for a in rows]


def defaults(app, email: str = EMAIL) -> list[str]:
    return [a["label"] for a in book(app, email) if a["default"]]


def add(client, label: str, make_default: bool = False, **fields):
    data = HOME | {"label": label} | fields
    if make_default:
        data["make_default"] = "y"
    return client.post_form("/compte/adresses/nouvelle", data)


def test_the_first_address_is_saved_and_becomes_the_default(app, client, member):
    response = add(client, "Maison")
    assert response.headers["Location"] == "/compte/adresses"
    [saved] = book(app)
    assert saved | {"id": None} == {
        "id": None, "label": "Maison", "default": True, "recipient": "Awa Koné",
        "line1": "Rue des Jardins 12", "line2": "Résidence Les Palmiers",
        "postal_code": "01 BP 1234", "city": "Abidjan", "country": "CI",
        "phone": "+2250701020304", "instructions": "Sonner deux fois.\nPortail vert."}
    page = text_of(client.get("/compte/adresses"))
    assert "L'adresse est enregistrée." in page
    assert "Par défaut" in page and "Côte d’Ivoire" in page


def test_the_new_address_form_proposes_the_configured_country(client, member):
    page = client.get("/compte/adresses/nouvelle").get_data(as_text=True)
    assert '<option selected value="CI">' in page


def test_optional_fields_may_be_left_blank(app, client, member):
    add(client, "Bureau", line2="", postal_code="", phone="", instructions="")
    [saved] = book(app)
    assert saved["line2"] is saved["postal_code"] is saved["phone"] is saved["instructions"] is None


def test_a_new_address_becomes_the_default_only_when_asked(app, client, member):
    add(client, "Maison")
    add(client, "Bureau")
    assert defaults(app) == ["Maison"]
    add(client, "Chez Maman", make_default=True)
    assert defaults(app) == ["Chez Maman"]


def test_editing_saves_the_changes_and_keeps_the_default(app, client, member):
    add(client, "Maison")
    add(client, "Bureau")
    home, office = book(app)
    edit_page = text_of(client.get(f"/compte/adresses/{home['id']}"))
    assert 'value="Rue des Jardins 12"' in edit_page
    client.post_form(f"/compte/adresses/{home['id']}",
                     HOME | {"line1": "Boulevard Latrille 5", "country": "SN",
                             "phone": "+221 77 123 45 67"})
    home, office = book(app)
    assert home["line1"] == "Boulevard Latrille 5" and home["country"] == "SN"
    assert home["phone"] == "+221771234567"
    assert defaults(app) == ["Maison"]
    client.post_form(f"/compte/adresses/{office['id']}", HOME | {"label": "Bureau"})
    assert defaults(app) == ["Maison"]
    client.post_form(f"/compte/adresses/{office['id']}", HOME | {"label": "Bureau",
                                                                "make_default": "y"})
    assert defaults(app) == ["Bureau"]


def test_choosing_the_default_leaves_exactly_one(app, client, member):
    for label in ("Maison", "Bureau", "Chez Maman"):
        add(client, label)
    office = book(app)[1]
    response = client.post_form(f"/compte/adresses/{office['id']}/par-defaut",
                                follow_redirects=True)
    assert "Adresse par défaut : Bureau." in text_of(response)
    assert defaults(app) == ["Bureau"]


def test_deleting_an_address_that_is_not_the_default(app, client, member):
    add(client, "Maison")
    add(client, "Bureau")
    office = book(app)[1]
    response = client.post_form(f"/compte/adresses/{office['id']}/supprimer",
                                follow_redirects=True)
    assert "L'adresse est supprimée." in text_of(response)
    assert [a["label"] for a in book(app)] == ["Maison"]
    assert defaults(app) == ["Maison"]


def test_deleting_the_default_moves_it_to_another_address(app, client, member):
    for label in ("Maison", "Bureau", "Chez Maman"):
        add(client, label)
    home = book(app)[0]
    client.post_form(f"/compte/adresses/{home['id']}/supprimer")
    assert [a["label"] for a in book(app)] == ["Bureau", "Chez Maman"]
    assert defaults(app) == ["Bureau"]


def test_deleting_the_last_address_empties_the_book(app, client, member):
    add(client, "Maison")
    client.post_form(f"/compte/adresses/{book(app)[0]['id']}/supprimer")
    assert book(app) == []
    assert "Votre carnet d'adresses est vide." in text_of(client.get("/compte/adresses"))


@pytest.mark.parametrize("field, value, message", [
    ("label", "", "Ce champ est obligatoire."),
    ("recipient", "", "Ce champ est obligatoire."),
    ("line1", "   ", "Ce champ est obligatoire."),
    ("city", "", "Ce champ est obligatoire."),
    ("country", "", "Ce champ est obligatoire."),
    ("label", "x" * 61, "60 caractères au maximum."),
    ("recipient", "x" * 121, "120 caractères au maximum."),
    ("line1", "x" * 201, "200 caractères au maximum."),
    ("line2", "x" * 201, "200 caractères au maximum."),
    ("postal_code", "x" * 21, "20 caractères au maximum."),
    ("city", "x" * 101, "100 caractères au maximum."),
    ("instructions", "x" * 501, "500 caractères au maximum."),
    ("phone", "12", "Numéro de téléphone invalide"),
    ("phone", "téléphone", "Numéro de téléphone invalide"),
    ("country", "XX", "N'est pas un choix valide."),
    ("country", "ZZ", "N'est pas un choix valide."),
    ("country", "ci", "N'est pas un choix valide."),
    ("line1", "Rue\x00des Jardins", "caractères non autorisés"),
    ("city", "Abidjan\nBcc: x@y.z", "une seule ligne"),
])
def test_bad_input_is_refused_in_french_and_nothing_is_saved(app, client, member, field, value,
                                                             message):
    add(client, "Maison")
    before = book(app)
    for url in ("/compte/adresses/nouvelle", f"/compte/adresses/{before[0]['id']}"):
        response = client.post_form(url, HOME | {field: value})
        page = text_of(response)
        assert response.status_code == 200
        assert "Le formulaire contient des erreurs" in page
        assert message in page
        assert book(app) == before


@pytest.fixture
def strangers_address(app):
    """An address of another member, Binta, and its id."""
    with app.app_context():
        binta = make_user("binta@example.com", full_name="Binta Diop")
        return make_address(binta, "Chez Binta", line1="Avenue Secrète 7").id


@pytest.mark.parametrize("method, url", [
    ("get", "/compte/adresses/{id}"),
    ("post", "/compte/adresses/{id}"),
    ("post", "/compte/adresses/{id}/supprimer"),
    ("post", "/compte/adresses/{id}/par-defaut"),
])
def test_another_members_address_is_not_found_and_nothing_changes(app, client, member,
                                                                  strangers_address, method,
                                                                  url):
    add(client, "Maison")
    before = book(app, "binta@example.com"), book(app)
    path = url.format(id=strangers_address)
    if method == "get":
        response = client.get(path)
    else:
        response = client.post_form(path, HOME | {"label": "Volée", "make_default": "y"})
    assert response.status_code == 404
    assert "Page introuvable" in text_of(response)
    assert "Avenue Secrète" not in text_of(response)
    assert (book(app, "binta@example.com"), book(app)) == before


@pytest.mark.parametrize("method, url", [
    ("get", "/compte/adresses/{id}"),
    ("post", "/compte/adresses/{id}/supprimer"),
    ("post", "/compte/adresses/{id}/par-defaut"),
])
@pytest.mark.parametrize("address_id", [987654, 2**31, 10**20])
def test_an_address_that_does_not_exist_is_not_found(client, member, method, url, address_id):
    path = url.format(id=address_id)
    response = client.get(path) if method == "get" else client.post_form(path)
    assert response.status_code == 404


def test_the_list_shows_only_the_members_own_addresses(client, member, strangers_address):
    add(client, "Maison")
    page = text_of(client.get("/compte/adresses"))
    assert "Rue des Jardins 12" in page
    assert "Avenue Secrète" not in page and "Chez Binta" not in page


@pytest.mark.parametrize("path", ["/compte/adresses", "/compte/adresses/nouvelle"])
def test_the_address_book_needs_a_session(client, path):
    assert client.get(path).headers["Location"].startswith("/connexion")


def test_an_address_count_is_not_changed_by_a_missing_csrf_token(app, client, member):
    response = client.post("/compte/adresses/nouvelle", data=HOME)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Address.id))) == 0
