"""The cart: items are added, changed and removed; bad input is refused in French and nothing is
saved; what members type comes back escaped; the cart is kept between visits and belongs to its
member only."""
import pytest

from portal.extensions import db
from portal.members.models import User
from portal.requests.models import MAX_ITEMS, OrderItem
from portal.requests.ordering import cart_of
from tests.factories import PASSWORD, login, make_order, make_user
from tests.members.helpers import text_of
from tests.requests.conftest import EMAIL
from tests.requests.helpers import (
    FORM_ERROR,
    ITEM,
    add_item,
    cart_items,
    item_of,
    page_text,
)


def test_an_item_is_added_to_the_cart(app, client, member):
    response = add_item(client)
    assert response.headers["Location"] == "/panier"
    assert cart_items(app) == [{
        "id": cart_items(app)[0]["id"], "name": "Robe en lin",
        "url": "https://www.zara.com/fr/robe-lin-p0123.html", "quantity": 2,
        "details": "Taille M, bleu", "seen_price": None, "seen_currency": None}]
    page = page_text(client.get("/panier"))
    assert "« Robe en lin » est ajouté à votre panier." in page
    assert "1 article dans votre panier (50 au maximum)." in page
    assert 'href="https://www.zara.com/fr/robe-lin-p0123.html"' in page
    assert "× 2" in page and "Taille M, bleu" in page


def test_the_cart_shows_the_url_as_a_link_that_opens_elsewhere(client, member):
    add_item(client)
    page = client.get("/panier").get_data(as_text=True)
    assert ('href="https://www.zara.com/fr/robe-lin-p0123.html" target="_blank" '
            'rel="noopener noreferrer nofollow"') in page


def test_details_are_optional(app, client, member):
    add_item(client, details="", quantity="1")
    [item] = cart_items(app)
    assert item["details"] is None and item["quantity"] == 1


@pytest.mark.parametrize("price, currency, stored, shown", [
    ("39.90", "EUR", 3990, "39,90 €"),
    ("39,90", "EUR", 3990, "39,90 €"),
    ("1 250,5", "EUR", 125050, "1 250,50 €"),
    ("0", "USD", 0, "0,00 $US"),
    ("125000", "XOF", 125000, "125 000 F CFA"),
    ("19.99", "GBP", 1999, "19,99 £GB"),
])
def test_the_price_seen_is_stored_in_minor_units_of_its_currency(app, client, member, price,
                                                                 currency, stored, shown):
    response = add_item(client, seen_price=price, seen_currency=currency)
    assert response.status_code == 302
    [item] = cart_items(app)
    assert (item["seen_price"], item["seen_currency"]) == (stored, currency)
    assert shown in page_text(client.get("/panier"))


PRICE_RANGE = "Indiquez un prix entre 0 et 10 000 000."
LINK_NEEDED = "Indiquez un lien qui commence par http:// ou https://."
QUANTITY_RANGE = "La quantité va de 1 à 99."


@pytest.mark.parametrize("field, value, message", [
    ("name", "", "Ce champ est obligatoire."),
    ("name", "   ", "Ce champ est obligatoire."),
    ("name", "x" * 201, "200 caractères au maximum."),
    ("name", "Robe\x00en lin", "caractères non autorisés"),
    ("name", "Robe\nen lin", "une seule ligne"),
    ("url", "", "Ce champ est obligatoire."),
    ("url", "javascript:alert(1)", LINK_NEEDED),
    ("url", "JavaScript://www.zara.com/%0Aalert(1)", LINK_NEEDED),
    ("url", "ftp://x", LINK_NEEDED),
    ("url", "data:text/html,<script>alert(1)</script>", LINK_NEEDED),
    ("url", "www.zara.com/robe", LINK_NEEDED),
    ("url", "https://", LINK_NEEDED),
    ("url", "http://[abc", LINK_NEEDED),
    ("url", "https://www.zara.com/robe lin", LINK_NEEDED),
    ("url", "https://www.zara.com/" + "a" * 2028, "2048 caractères au maximum."),
    ("quantity", "0", QUANTITY_RANGE),
    ("quantity", "100", QUANTITY_RANGE),
    ("quantity", "-1", QUANTITY_RANGE),
    ("quantity", "abc", QUANTITY_RANGE),
    ("quantity", "1.5", QUANTITY_RANGE),
    ("quantity", "", "Ce champ est obligatoire."),
    ("details", "x" * 10_000, "1000 caractères au maximum."),
    ("details", "Taille\x00M", "caractères non autorisés"),
    ("seen_price", "-1", PRICE_RANGE),
    ("seen_price", "-0.01", PRICE_RANGE),
    ("seen_price", "10000000.01", PRICE_RANGE),
    ("seen_price", "99999999999999999999", PRICE_RANGE),
    ("seen_price", "1e400", PRICE_RANGE),
    ("seen_price", "abc", PRICE_RANGE),
    ("seen_price", "NaN", PRICE_RANGE),
    ("seen_price", "sNaN", PRICE_RANGE),
    ("seen_price", "Infinity", PRICE_RANGE),
    ("seen_currency", "BTC", "N'est pas un choix valide."),
])
def test_bad_input_is_refused_in_french_and_nothing_is_saved(app, client, member, field, value,
                                                             message):
    response = add_item(client, **{"seen_price": "12.50", field: value})
    page = text_of(response)
    assert response.status_code == 200
    assert FORM_ERROR in page
    assert message in page
    assert cart_items(app) == []


def test_html_typed_in_every_field_comes_back_escaped(app, client, member):
    add_item(client, name='<script>alert("nom")</script>',
             url='https://shop.example.com/?q="><script>alert("lien")</script>',
             details="<img src=x onerror=alert('détails')>")
    for path in ("/panier", f"/panier/articles/{cart_items(app)[0]['id']}"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(&#34;nom&#34;)&lt;/script&gt;" in page
        assert "&#34;&gt;&lt;script&gt;alert(&#34;lien&#34;)" in page
        assert "&lt;img src=x onerror=alert(&#39;détails&#39;)&gt;" in page


def test_the_quantity_and_details_of_an_item_can_be_changed(app, client, member):
    add_item(client)
    [item] = cart_items(app)
    form = text_of(client.get(f"/panier/articles/{item['id']}"))
    assert 'value="2"' in form and "Taille M, bleu" in form
    response = client.post_form(f"/panier/articles/{item['id']}",
                                {"quantity": "5", "details": "Taille L, rouge"})
    assert response.headers["Location"] == "/panier"
    assert cart_items(app) == [item | {"quantity": 5, "details": "Taille L, rouge"}]
    assert "L'article est modifié." in page_text(client.get("/panier"))
    client.post_form(f"/panier/articles/{item['id']}", {"quantity": "1", "details": ""})
    assert cart_items(app) == [item | {"quantity": 1, "details": None}]


@pytest.mark.parametrize("field, value, message", [
    ("quantity", "0", QUANTITY_RANGE),
    ("quantity", "100", QUANTITY_RANGE),
    ("quantity", "-1", QUANTITY_RANGE),
    ("quantity", "abc", QUANTITY_RANGE),
    ("quantity", "", "Ce champ est obligatoire."),
    ("details", "x" * 10_000, "1000 caractères au maximum."),
])
def test_a_bad_change_is_refused_and_the_item_stays_as_it_was(app, client, member, field, value,
                                                             message):
    add_item(client)
    before = cart_items(app)
    data = {"quantity": "3", "details": "Taille S"} | {field: value}
    response = client.post_form(f"/panier/articles/{before[0]['id']}", data)
    page = text_of(response)
    assert response.status_code == 200
    assert FORM_ERROR in page and message in page
    assert cart_items(app) == before


def test_an_item_can_be_removed(app, client, member):
    add_item(client, name="Robe en lin")
    add_item(client, name="Sandales")
    dress, sandals = cart_items(app)
    response = client.post_form(f"/panier/articles/{dress['id']}/supprimer",
                                follow_redirects=True)
    assert "« Robe en lin » est retiré du panier." in page_text(response)
    assert cart_items(app) == [sandals]
    client.post_form(f"/panier/articles/{sandals['id']}/supprimer")
    assert cart_items(app) == []
    assert "Votre panier est vide." in page_text(client.get("/panier"))


def test_the_fifty_first_item_is_refused_with_a_clear_message(app, client, member):
    with app.app_context():
        cart = cart_of(db.session.get(User, member.id), create=True)
        cart.items.extend(OrderItem(name=f"Article {n}", url=f"https://shop.example.com/{n}")
                          for n in range(MAX_ITEMS - 1))
        db.session.commit()
    assert add_item(client, name="Le cinquantième").status_code == 302
    assert len(cart_items(app)) == MAX_ITEMS
    response = add_item(client, name="Le cinquante-et-unième", follow_redirects=True)
    page = page_text(response)
    assert "Votre panier contient déjà 50 articles, le maximum." in page
    assert "est ajouté" not in page
    assert len(cart_items(app)) == MAX_ITEMS
    assert "Le cinquante-et-unième" not in [item["name"] for item in cart_items(app)]


def test_the_cart_is_kept_after_logging_out_and_in_again(app, client, member):
    add_item(client, name="Robe en lin")
    client.post_form("/deconnexion")
    assert client.get("/panier").status_code == 302
    login(client, EMAIL)
    page = page_text(client.get("/panier"))
    assert "Robe en lin" in page and "1 article dans votre panier" in page


def test_an_anonymous_visitor_is_sent_to_login_then_brought_back_to_the_cart(app, client):
    with app.app_context():
        make_user(EMAIL)
    response = client.get("/panier")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url == "/connexion?next=%2Fpanier"
    assert "Connectez-vous pour accéder à cette page." in text_of(client.get(login_url))
    response = client.post_form(login_url, {"email": EMAIL, "password": PASSWORD})
    assert response.headers["Location"] == "/panier"
    assert "Mon panier" in text_of(client.get("/panier"))


@pytest.mark.parametrize("path", ["/panier", "/panier/articles/1/supprimer",
                                  "/panier/articles/1"])
def test_anonymous_posts_to_the_cart_change_nothing(app, client, path):
    response = client.post_form(path, ITEM)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=")


@pytest.fixture
def strangers_item(app, stranger, other_client):
    """An item in Binta's cart."""
    add_item(other_client, name="Sac de Binta")
    return cart_items(app, stranger.email)[0]["id"]


@pytest.mark.parametrize("method, url", [
    ("get", "/panier/articles/{id}"),
    ("post", "/panier/articles/{id}"),
    ("post", "/panier/articles/{id}/supprimer"),
])
def test_another_members_cart_item_is_not_found_and_nothing_changes(app, client, member,
                                                                    stranger, strangers_item,
                                                                    method, url):
    before = cart_items(app, stranger.email)
    path = url.format(id=strangers_item)
    if method == "get":
        response = client.get(path)
    else:
        response = client.post_form(path, {"quantity": "9", "details": "Volé"})
    assert response.status_code == 404
    assert "Sac de Binta" not in text_of(response)
    assert cart_items(app, stranger.email) == before
    assert cart_items(app) == []


@pytest.mark.parametrize("method, url", [
    ("get", "/panier/articles/{id}"),
    ("post", "/panier/articles/{id}"),
    ("post", "/panier/articles/{id}/supprimer"),
])
def test_the_items_of_a_submitted_order_cannot_be_changed_through_the_cart(app, client, member,
                                                                          method, url):
    with app.app_context():
        order = make_order(db.session.get(User, member.id), status="submitted")
        item_id = order.items[0].id
    before = item_of(app, item_id)
    path = url.format(id=item_id)
    response = (client.get(path) if method == "get"
                else client.post_form(path, {"quantity": "9", "details": "Changé"}))
    assert response.status_code == 404
    assert item_of(app, item_id) == before


def test_an_unknown_item_is_not_found(client, member):
    assert client.get("/panier/articles/999999").status_code == 404
    assert client.get("/panier/articles/99999999999999").status_code == 404
