"""Partner shops (kept by staff, shown to everyone as cards that open in a new tab), and the
admin-only pickup points and terms (each publication a new version, shown escaped)."""
import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.requests.models import PartnerShop
from portal.staff.models import PickupPoint, TermsVersion
from tests.factories import login, make_pickup_point, make_shop, make_terms, make_user
from tests.members.helpers import text_of
from tests.requests.helpers import FORM_ERROR, page_text

SHOP = {"name": "Amazon", "url": "https://www.amazon.fr/", "country": "FR",
        "description": "Tout, ou presque.", "is_visible": "y"}
POINT = {"name": "Agence Cocody", "address": "Rue des Jardins, Cocody",
         "opening_hours": "Lun–ven 9 h–18 h", "is_active": "y"}


def signed_in(app, client, role: str):
    with app.app_context():
        make_user(f"{role}@agence.example", role=role, full_name=f"Compte {role}")
    assert login(client, f"{role}@agence.example").status_code == 302
    return client


@pytest.fixture
def staff(app, client):
    return signed_in(app, client, "staff")


@pytest.fixture
def admin(app, client):
    return signed_in(app, client, "admin")


def shops(app) -> list[dict]:
    """The shops in the members' order."""
    with app.app_context():
        rows = db.session.scalars(select(PartnerShop).order_by(PartnerShop.position,
                                                               PartnerShop.id)).all()
        return [{"id": s.id, "name": s.name, "url": s.url, "country": s.country,
                 "description": s.description, "visible": s.is_visible} for s in rows]


def names(app) -> list[str]:
    return [shop["name"] for shop in shops(app)]


def public_cards(client) -> list[str]:
    page = client.get("/boutiques").get_data(as_text=True)
    return re.findall(r'<h2 class="h5 card-title">([^<]*)</h2>', page)


# --- The members' page --------------------------------------------------------------------

def test_visible_shops_show_as_cards_in_the_chosen_order(app, client):
    with app.app_context():
        make_shop("Zara", position=2)
        make_shop("Shein", position=1)
        make_shop("Boutique cachée", visible=False, position=0)
    assert public_cards(client) == ["Shein", "Zara"]
    page = client.get("/boutiques").get_data(as_text=True)
    assert ('href="https://www.zara.com/fr/" target="_blank" rel="noopener noreferrer"'
            in page)
    assert "Boutique cachée" not in page
    assert "Espagne" in page and "Mode" in page


def test_every_shop_link_opens_a_new_tab_without_referrer(app, client):
    with app.app_context():
        for position, name in enumerate(["Zara", "Shein", "Amazon"]):
            make_shop(name, position=position)
    page = client.get("/boutiques").get_data(as_text=True)
    links = re.findall(r'<a [^>]*href="https://www\.zara\.com/fr/"[^>]*>', page)
    assert len(links) == 3
    assert all('target="_blank"' in a and 'rel="noopener noreferrer"' in a for a in links)


def test_the_shop_page_without_shops_says_so(client):
    assert "Aucune boutique n'est encore présentée." in page_text(client.get("/boutiques"))


def test_a_shop_name_and_description_come_back_escaped(app, client):
    with app.app_context():
        shop = make_shop("<script>alert(1)</script>")
        shop.description = "<img src=x onerror=alert(2)>"
        db.session.commit()
    page = client.get("/boutiques").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- Staff keep the list ------------------------------------------------------------------

def test_staff_add_a_shop_at_the_end_of_the_list(app, staff):
    with app.app_context():
        make_shop("Zara", position=1)
    response = staff.post_form("/equipe/boutiques/nouvelle", SHOP)
    assert response.headers["Location"] == "/equipe/boutiques"
    assert names(app) == ["Zara", "Amazon"]
    assert shops(app)[1] | {"id": None} == {
        "id": None, "name": "Amazon", "url": "https://www.amazon.fr/", "country": "FR",
        "description": "Tout, ou presque.", "visible": True}
    assert "La boutique « Amazon » est enregistrée." in page_text(staff.get("/equipe/boutiques"))
    assert public_cards(staff) == ["Zara", "Amazon"]


def test_a_shop_may_be_added_hidden_and_without_description(app, staff):
    staff.post_form("/equipe/boutiques/nouvelle", SHOP | {"description": "", "is_visible": ""})
    [shop] = shops(app)
    assert shop["description"] is None and shop["visible"] is False
    assert public_cards(staff) == []


@pytest.mark.parametrize("field, value, message", [
    ("name", "", "Ce champ est obligatoire."),
    ("name", "x" * 121, "120 caractères au maximum."),
    ("url", "", "Ce champ est obligatoire."),
    ("url", "javascript:alert(1)", "Indiquez un lien qui commence par http:// ou https://."),
    ("url", "ftp://x", "Indiquez un lien qui commence par http:// ou https://."),
    ("url", "data:text/html,x", "Indiquez un lien qui commence par http:// ou https://."),
    ("url", "amazon.fr", "Indiquez un lien qui commence par http:// ou https://."),
    ("url", "http://[abc", "Indiquez un lien qui commence par http:// ou https://."),
    ("country", "", "Ce champ est obligatoire."),
    ("country", "XX", "N'est pas un choix valide."),
    ("description", "x" * 501, "500 caractères au maximum."),
])
def test_bad_shop_input_is_refused_in_french_and_nothing_is_saved(app, staff, field, value,
                                                                  message):
    with app.app_context():
        shop_id = make_shop("Zara").id
    before = shops(app)
    for url in ("/equipe/boutiques/nouvelle", f"/equipe/boutiques/{shop_id}"):
        response = staff.post_form(url, SHOP | {field: value})
        page = text_of(response)
        assert response.status_code == 200
        assert FORM_ERROR in page and message in page
        assert shops(app) == before


def test_staff_edit_a_shop(app, staff):
    with app.app_context():
        shop_id = make_shop("Zara").id
    form = text_of(staff.get(f"/equipe/boutiques/{shop_id}"))
    assert 'value="https://www.zara.com/fr/"' in form
    response = staff.post_form(f"/equipe/boutiques/{shop_id}",
                               SHOP | {"name": "Zara Home", "url": "https://www.zarahome.com/",
                                       "country": "ES", "description": ""})
    assert response.headers["Location"] == "/equipe/boutiques"
    assert shops(app) == [{"id": shop_id, "name": "Zara Home", "url": "https://www.zarahome.com/",
                           "country": "ES", "description": None, "visible": True}]


def test_staff_hide_and_show_a_shop(app, staff):
    with app.app_context():
        shop_id = make_shop("Zara").id
    response = staff.post_form(f"/equipe/boutiques/{shop_id}/visibilite", follow_redirects=True)
    assert "« Zara » est masquée aux membres." in page_text(response)
    assert "masquée" in page_text(staff.get("/equipe/boutiques"))
    assert shops(app)[0]["visible"] is False and public_cards(staff) == []
    response = staff.post_form(f"/equipe/boutiques/{shop_id}/visibilite", follow_redirects=True)
    assert "« Zara » est visible par les membres." in page_text(response)
    assert public_cards(staff) == ["Zara"]


def test_staff_move_shops_up_and_down(app, staff):
    with app.app_context():
        ids = {name: make_shop(name, position=n).id
               for n, name in enumerate(["Amazon", "Shein", "Zara"], start=1)}
    staff.post_form(f"/equipe/boutiques/{ids['Zara']}/deplacer/haut")
    assert names(app) == ["Amazon", "Zara", "Shein"]
    staff.post_form(f"/equipe/boutiques/{ids['Amazon']}/deplacer/bas")
    assert names(app) == ["Zara", "Amazon", "Shein"]
    assert public_cards(staff) == ["Zara", "Amazon", "Shein"]
    staff.post_form(f"/equipe/boutiques/{ids['Zara']}/deplacer/haut")  # already first
    staff.post_form(f"/equipe/boutiques/{ids['Shein']}/deplacer/bas")  # already last
    assert names(app) == ["Zara", "Amazon", "Shein"]


def test_the_staff_list_offers_moves_only_where_they_make_sense(app, staff):
    with app.app_context():
        first = make_shop("Amazon", position=1).id
        last = make_shop("Zara", position=2).id
    page = staff.get("/equipe/boutiques").get_data(as_text=True)
    assert f"/equipe/boutiques/{first}/deplacer/bas" in page
    assert f"/equipe/boutiques/{first}/deplacer/haut" not in page
    assert f"/equipe/boutiques/{last}/deplacer/haut" in page
    assert f"/equipe/boutiques/{last}/deplacer/bas" not in page


@pytest.mark.parametrize("url", ["/equipe/boutiques/{id}/deplacer/gauche",
                                 "/equipe/boutiques/999999/deplacer/haut",
                                 "/equipe/boutiques/999999/visibilite",
                                 "/equipe/boutiques/999999"])
def test_unknown_shops_and_moves_are_not_found(app, staff, url):
    with app.app_context():
        shop_id = make_shop("Zara").id
    before = shops(app)
    assert staff.post_form(url.format(id=shop_id), SHOP).status_code == 404
    assert shops(app) == before


STAFF_SHOP_PAGES = [
    ("get", "/equipe/boutiques"),
    ("get", "/equipe/boutiques/nouvelle"),
    ("post", "/equipe/boutiques/nouvelle"),
    ("get", "/equipe/boutiques/{id}"),
    ("post", "/equipe/boutiques/{id}"),
    ("post", "/equipe/boutiques/{id}/deplacer/haut"),
    ("post", "/equipe/boutiques/{id}/deplacer/bas"),
    ("post", "/equipe/boutiques/{id}/visibilite"),
]


@pytest.mark.parametrize("method, url", STAFF_SHOP_PAGES)
def test_members_may_not_keep_the_shop_list(app, client, method, url):
    with app.app_context():
        ids = [make_shop("Zara", position=1).id, make_shop("Shein", position=2).id]
    signed_in(app, client, "member")
    before = shops(app)
    path = url.format(id=ids[1])
    response = client.get(path) if method == "get" else client.post_form(path, SHOP)
    assert response.status_code == 403
    assert shops(app) == before


@pytest.mark.parametrize("method, url", STAFF_SHOP_PAGES)
def test_anonymous_visitors_are_sent_to_login(app, client, method, url):
    with app.app_context():
        shop_id = make_shop("Zara").id
    before = shops(app)
    path = url.format(id=shop_id)
    response = client.get(path) if method == "get" else client.post_form(path, SHOP)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=")
    assert shops(app) == before


# --- Pickup points and terms: admins only -------------------------------------------------

ADMIN_PAGES = [
    ("get", "/equipe/points-de-retrait"),
    ("post", "/equipe/points-de-retrait"),
    ("get", "/equipe/points-de-retrait/{id}"),
    ("post", "/equipe/points-de-retrait/{id}"),
    ("get", "/equipe/conditions-generales"),
    ("post", "/equipe/conditions-generales"),
]


@pytest.mark.parametrize("role", ["staff", "member"])
@pytest.mark.parametrize("method, url", ADMIN_PAGES)
def test_only_admins_manage_pickup_points_and_terms(app, client, role, method, url):
    with app.app_context():
        point_id = make_pickup_point().id
    signed_in(app, client, role)
    path = url.format(id=point_id)
    response = (client.get(path) if method == "get"
                else client.post_form(path, POINT | {"text": "Nouvelles conditions"}))
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(PickupPoint.name)) == "Agence Plateau"
        assert db.session.scalars(select(TermsVersion)).all() == []


@pytest.mark.parametrize("url", [url for method, url in ADMIN_PAGES if method == "get"])
def test_admins_open_the_pickup_points_and_terms_pages(app, admin, url):
    with app.app_context():
        point_id = make_pickup_point().id
    assert admin.get(url.format(id=point_id)).status_code == 200


def test_admins_add_and_edit_pickup_points(app, admin):
    response = admin.post_form("/equipe/points-de-retrait", POINT)
    assert response.headers["Location"] == "/equipe/points-de-retrait"
    page = page_text(admin.get("/equipe/points-de-retrait"))
    assert "Le point de retrait « Agence Cocody » est enregistré." in page
    with app.app_context():
        point = db.session.scalar(select(PickupPoint))
        assert (point.name, point.address, point.opening_hours, point.is_active) == (
            "Agence Cocody", "Rue des Jardins, Cocody", "Lun–ven 9 h–18 h", True)
        point_id = point.id
    admin.post_form(f"/equipe/points-de-retrait/{point_id}",
                    POINT | {"name": "Agence Cocody Riviera", "is_active": ""})
    with app.app_context():
        point = db.session.get(PickupPoint, point_id)
        assert (point.name, point.is_active) == ("Agence Cocody Riviera", False)


@pytest.mark.parametrize("field, value, message", [
    ("name", "", "Ce champ est obligatoire."),
    ("address", "", "Ce champ est obligatoire."),
    ("opening_hours", "", "Ce champ est obligatoire."),
    ("name", "x" * 121, "120 caractères au maximum."),
    ("address", "x" * 501, "500 caractères au maximum."),
])
def test_bad_pickup_point_input_is_refused(app, admin, field, value, message):
    response = admin.post_form("/equipe/points-de-retrait", POINT | {field: value})
    assert FORM_ERROR in text_of(response) and message in text_of(response)
    with app.app_context():
        assert db.session.scalars(select(PickupPoint)).all() == []


def test_publishing_terms_creates_a_new_version_each_time(app, admin):
    page = page_text(admin.get("/equipe/conditions-generales"))
    assert "Aucune version n'est publiée" in page
    response = admin.post_form("/equipe/conditions-generales", {"text": "Première version."})
    assert response.headers["Location"] == "/equipe/conditions-generales"
    page = page_text(admin.get("/equipe/conditions-generales"))
    assert "La version 1 des conditions générales est publiée." in page
    assert "Version en vigueur : 1" in page
    admin.post_form("/equipe/conditions-generales", {"text": "Deuxième version."})
    with app.app_context():
        versions = db.session.scalars(select(TermsVersion).order_by(TermsVersion.version)).all()
        assert [(v.version, v.text, v.published_by_id is not None) for v in versions] == [
            (1, "Première version.", True), (2, "Deuxième version.", True)]
    assert "Deuxième version." in page_text(admin.get("/equipe/conditions-generales"))


@pytest.mark.parametrize("form", [{"text": "Première version."}, {"text": " Première version.\n"},
                                  {}], ids=["same", "same-with-spaces", "text-missing"])
def test_publishing_the_text_in_force_again_is_refused(app, admin, form):
    admin.post_form("/equipe/conditions-generales", {"text": "Première version."})
    response = admin.post_form("/equipe/conditions-generales", form)
    assert response.status_code == 422
    assert "Ce texte est celui de la version en vigueur" in text_of(response)
    with app.app_context():
        assert [v.version for v in db.session.scalars(select(TermsVersion))] == [1]


def test_empty_terms_are_refused(app, admin):
    response = admin.post_form("/equipe/conditions-generales", {"text": "   "})
    assert "Ce champ est obligatoire." in text_of(response)
    with app.app_context():
        assert db.session.scalars(select(TermsVersion)).all() == []


def test_the_terms_page_shows_the_current_text_escaped(app, client):
    assert "n'ont pas encore été publiées" in page_text(client.get("/conditions-generales"))
    with app.app_context():
        make_terms("Ancienne version.")
        make_terms("Article 1 — <script>alert('cg')</script>\nArticle 2 — Paiement.")
    response = client.get("/conditions-generales")
    page = response.get_data(as_text=True)
    assert "Ancienne version." not in page
    assert "<script>alert(" not in page
    assert "Article 1 — &lt;script&gt;alert(&#39;cg&#39;)&lt;/script&gt;" in page
    assert "Version 2" in page_text(response)
