"""Staff see the queues on the back-office home, list, search and filter the orders, and export
them to CSV for French Excel; bad input never crashes a page; members never get in."""
import csv
import html
import io
import re
from datetime import date, timedelta

import pytest

from portal.clock import utcnow
from portal.extensions import db
from portal.proforma.models import Proforma
from portal.requests.models import Order
from tests.conftest import sql_statements
from tests.factories import login, make_order, make_user
from tests.members.helpers import move_clock
from tests.requests.helpers import page_text

STAFF_EMAIL = "chef@example.com"
NEW_ROUTES = ["/equipe/commandes", "/equipe/commandes?statut=preuves&q=robe",
              "/equipe/commandes.csv", "/equipe/commandes.csv?statut=a-chiffrer"]
ALL_STATUSES = ("draft", "submitted", "quoted", "deposit_review", "confirmed", "purchased",
                "in_transit", "arrived", "balance_review", "ready", "completed", "cancelled")


@pytest.fixture
def staff(app, client):
    """A staff member, logged in on `client`."""
    with app.app_context():
        make_user(STAFF_EMAIL, role="staff", full_name="Chef d'agence")
    assert login(client, STAFF_EMAIL).status_code == 302


@pytest.fixture
def awa(app):
    with app.app_context():
        return make_user("awa@example.com", full_name="Awa Koné").id


@pytest.fixture
def binta(app):
    with app.app_context():
        return make_user("binta.diop@example.sn", full_name="Binta Diop",
                         phone="+221771234567").id


def order_for(app, user_id: int, status: str = "submitted", *, items: int = 1,
              reference: str | None = None, waited: timedelta | None = None,
              submitted: date | None = None, item_names: tuple[str, ...] = ()) -> dict:
    """Make an order in `status`, in it since `waited` ago; return its id and reference."""
    from portal.members.models import User

    with app.app_context():
        order = make_order(db.session.get(User, user_id), status, items, reference)
        if waited is not None:
            order.status_changed_at = utcnow() - waited
        if submitted is not None:
            order.submitted_at = utcnow().replace(year=submitted.year, month=submitted.month,
                                                  day=submitted.day)
        for item, name in zip(order.items, item_names, strict=False):
            item.name = name
        db.session.commit()
        return {"id": order.id, "reference": order.reference}


def card(response, key: str) -> str:
    """The text of one queue card of the back-office home."""
    page = html.unescape(response.get_data(as_text=True))
    found = re.search(rf'<a [^>]*href="([^"]+)"[^>]*data-testid="queue-{key}">(.*?)</a>', page,
                      re.S)
    assert found, key
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(2))).strip()
    return f"{found.group(1)} {text}"


def words(response) -> str:
    """The words of a page, without its tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page_text(response)))


def listed(response) -> list[str]:
    """The references of the orders on a list page, in order."""
    return re.findall(r'data-testid="order-([^"]+)"', response.get_data(as_text=True))


def csv_rows(response) -> list[list[str]]:
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))




# --- The back-office home -----------------------------------------------------------------

def test_the_home_shows_each_queue_its_count_and_its_oldest_wait(app, client, staff, awa):
    order_for(app, awa, "submitted", waited=timedelta(days=3, hours=1))
    order_for(app, awa, "submitted", waited=timedelta(hours=2))
    order_for(app, awa, "deposit_review", waited=timedelta(hours=5))
    order_for(app, awa, "balance_review", waited=timedelta(hours=1))
    order_for(app, awa, "purchased", waited=timedelta(days=10))
    order_for(app, awa, "in_transit", waited=timedelta(days=1))
    order_for(app, awa, "arrived", waited=timedelta(minutes=10))
    for status in ("draft", "quoted", "completed", "cancelled"):
        order_for(app, awa, status, waited=timedelta(days=60))

    response = client.get("/equipe/")

    assert response.status_code == 200
    assert card(response, "a-chiffrer") == (
        "/equipe/commandes?statut=a-chiffrer À chiffrer 2 la plus ancienne attend depuis 3 jours")
    assert "Preuves à vérifier 2 la plus ancienne attend depuis 5 heures" in card(response,
                                                                                   "preuves")
    assert "À acheter 0 aucune en attente" in card(response, "a-acheter")
    assert "En transit 2 la plus ancienne attend depuis 1 semaine" in card(response,
                                                                           "en-transit")
    assert "Arrivées — solde attendu 1 la plus ancienne attend depuis 10 minutes" in card(
        response, "solde-attendu")
    assert "Prêtes pour le retrait 0" in card(response, "retrait")
    text = page_text(response)
    for kept in ("Membres", "Messages non délivrés", "Boutiques partenaires"):
        assert kept in text


def test_the_waits_grow_with_time(app, client, staff, awa, monkeypatch):
    order_for(app, awa, "ready", waited=timedelta(hours=1))
    move_clock(monkeypatch, days=2)
    assert "depuis 2 jours" in card(client.get("/equipe/"), "retrait")


def test_each_queue_card_leads_to_its_orders(app, client, staff, awa):
    made = {status: order_for(app, awa, status)["reference"] for status in ALL_STATUSES}
    expected = {"a-chiffrer": ["submitted"], "a-acheter": ["confirmed"],
                "en-transit": ["purchased", "in_transit"], "solde-attendu": ["arrived"],
                "retrait": ["ready"]}
    home = client.get("/equipe/")
    assert card(home, "preuves").split()[0] == "/equipe/preuves"  # the review queue itself
    for key, statuses in expected.items():
        link = card(home, key).split()[0]
        assert sorted(listed(client.get(link))) == sorted(made[s] for s in statuses)


def test_staff_find_the_order_list_in_the_menu(client, staff):
    assert 'href="/equipe/commandes">Commandes</a>' in client.get("/equipe/").get_data(
        as_text=True)


# --- The list -----------------------------------------------------------------------------

def test_each_row_shows_the_order_its_member_status_items_and_wait(app, client, staff, awa):
    made = order_for(app, awa, "deposit_review", items=3, reference="DEM-2026-00042",
                     waited=timedelta(days=4))
    response = client.get("/equipe/commandes")
    page = response.get_data(as_text=True)
    row = re.search(r'<tr data-testid="order-DEM-2026-00042">(.*?)</tr>', page, re.S).group(1)
    row_text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row)))
    assert f'href="/equipe/commandes/{made["id"]}"' in row
    for shown in ("DEM-2026-00042", "Awa Koné", "awa@example.com",
                  "Acompte en attente de validation", "3 articles", "depuis 4 jours",
                  "envoyée le"):
        assert shown in row_text
    assert "1 commande" in page_text(response)


def test_carts_never_appear_and_the_newest_come_first(app, client, staff, awa):
    order_for(app, awa, "draft")
    old = order_for(app, awa, submitted=date(2026, 1, 5))["reference"]
    new = order_for(app, awa, submitted=date(2026, 2, 5))["reference"]
    assert listed(client.get("/equipe/commandes")) == [new, old]
    assert listed(client.get("/equipe/commandes?tri=anciennes")) == [old, new]


@pytest.mark.parametrize("query, expected", [
    ("statut=preuves", ["deposit"]),
    ("statut=submitted", ["lin", "casque"]),
    ("statut=completed", []),
    ("du=2026-02-01", ["casque", "deposit"]),
    ("du=2026-01-01&au=2026-01-31", ["lin"]),
    ("au=2026-02-10", ["lin", "casque"]),
    ("q=robe", ["lin"]),
    ("q=BINTA", ["casque", "deposit"]),
    ("q=diop%40example", ["casque", "deposit"]),
    ("q=dem-2026-00003", ["deposit"]),
    ("q=100%25", ["casque"]),
    ("q=robe&statut=preuves", []),
    ("q=casque&du=2026-02-01&statut=a-chiffrer", ["casque"]),
])
def test_the_filters_and_the_search(app, client, staff, awa, binta, query, expected):
    made = {
        "lin": order_for(app, awa, reference="DEM-2026-00001", submitted=date(2026, 1, 15),
                         items=2, item_names=("Robe en lin", "Robe de soirée")),
        "casque": order_for(app, binta, reference="DEM-2026-00002", submitted=date(2026, 2, 5),
                            item_names=("Casque 100% sans fil",)),
        "deposit": order_for(app, binta, "deposit_review", reference="DEM-2026-00003",
                             submitted=date(2026, 3, 1)),
    }
    response = client.get(f"/equipe/commandes?{query}")
    assert response.status_code == 200
    assert sorted(listed(response)) == sorted(made[name]["reference"] for name in expected)


def test_the_member_filter_names_the_member(app, client, staff, awa, binta):
    order_for(app, awa)
    hers = order_for(app, binta)["reference"]
    response = client.get(f"/equipe/commandes?member={binta}")
    assert listed(response) == [hers]
    assert "Commandes de Binta Diop (binta.diop@example.sn)" in words(response)
    # The filter is kept in the form, so another filter narrows her orders only.
    assert f'name="member" type="hidden" value="{binta}"' in response.get_data(as_text=True)


def test_pages_hold_25_orders_and_their_links_keep_the_filters(app, client, staff, awa):
    for number in range(30):
        order_for(app, awa, item_names=(f"Robe {number}",))
    order_for(app, awa, item_names=("Casque",))
    order_for(app, awa, "cancelled", item_names=("Robe annulée",))

    first = client.get("/equipe/commandes?statut=a-chiffrer&q=robe")
    assert len(listed(first)) == 25
    assert "30 commandes" in page_text(first)
    assert "Page 1 sur 2" in page_text(first)
    following = re.search(r'href="([^"]+)">Suivante', first.get_data(as_text=True)).group(1)
    following = html.unescape(following)
    assert "statut=a-chiffrer" in following and "q=robe" in following and "page=2" in following
    second = client.get(following)
    assert len(listed(second)) == 5
    assert set(listed(first)).isdisjoint(listed(second))


@pytest.mark.parametrize("query, message", [
    ("statut=inconnu", "Ce choix n'existe pas."),
    ("statut=draft", "Ce choix n'existe pas."),
    ("statut=a&statut=b", "Ce choix n'existe pas."),
    ("du=hier", "Date invalide"),
    ("du=2026-13-45", "Date invalide"),
    ("au=99999-01-01", "Date invalide"),
    ("du=0001-01-01", "Date hors limites."),
    ("au=9999-12-31", "Date hors limites."),
    ("du=2026-03-01&au=2026-02-01", "La date de fin précède la date de début."),
    ("member=abc", "Ce membre n'existe pas"),
    ("member=-1", "Ce membre n'existe pas"),
    ("member=99999999999999999999999", "Ce membre n'existe pas"),
    ("member=2147483647", "Ce membre n'existe pas."),
    ("q=" + "x" * 10_000, "100 caractères au maximum."),
    ("q=a%00b", "caractères non autorisés"),
    ("q=%25%25%25&tri=%00", "Ce choix n'existe pas."),
    ("page=abc", ""),
    ("page=99999999999999999999", ""),
    ("page=-3", ""),
])
def test_bad_input_gets_a_french_message_never_a_crash(app, client, staff, awa, query, message):
    order_for(app, awa)
    response = client.get(f"/equipe/commandes?{query}")
    assert response.status_code == 200
    assert message in page_text(response)
    assert client.get(f"/equipe/commandes.csv?{query}").status_code == 200


def test_a_bad_filter_is_ignored_and_the_good_ones_still_apply(app, client, staff, awa, binta):
    order_for(app, awa)
    hers = order_for(app, binta)["reference"]
    assert listed(client.get("/equipe/commandes?statut=inconnu&du=hier&q=binta")) == [hers]


# --- CSV export ---------------------------------------------------------------------------

def add_proforma(app, order_id: int, total: int, currency: str = "EUR") -> None:
    with app.app_context():
        order = db.session.get(Order, order_id)
        db.session.add(Proforma(order=order, number="PRO-2026-00001", version=1,
                                currency=currency, subtotal=total, fees_total=0, total=total,
                                deposit_due=0, balance_due=total, valid_until=date(2030, 1, 1),
                                content={}))
        db.session.commit()


def test_the_csv_export_is_ready_for_french_excel(app, client, staff, awa, binta):
    quoted = order_for(app, awa, "quoted", items=2, reference="DEM-2026-00042")
    add_proforma(app, quoted["id"], 123450)
    order_for(app, binta, "submitted", reference="DEM-2026-00043")
    order_for(app, awa, "draft")

    response = client.get("/equipe/commandes.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    today = utcnow().strftime("%Y%m%d")
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=commandes-{today}.csv")
    rows = csv_rows(response)
    assert rows[0] == ["Référence", "Statut", "Membre", "E-mail", "Téléphone", "Envoyée le",
                       "Dans ce statut depuis le", "Articles",
                       "Total de la proforma (montant décimal)", "Devise"]
    assert len(rows) == 3  # the cart is not exported
    awa_row = next(row for row in rows if row[0] == "DEM-2026-00042")
    assert awa_row[1:5] == ["Proforma envoyée — en attente d'acompte", "Awa Koné",
                            "awa@example.com", "'+2250701020304"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", awa_row[5])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", awa_row[6])
    assert awa_row[7:] == ["2", "1234,50", "EUR"]
    binta_row = next(row for row in rows if row[0] == "DEM-2026-00043")
    assert binta_row[7:] == ["1", "", ""]


def test_the_csv_export_uses_the_filters_of_the_list(app, client, staff, awa, binta):
    order_for(app, awa, "quoted")
    hers = order_for(app, binta, "quoted")["reference"]
    order_for(app, binta, "cancelled")
    rows = csv_rows(client.get(f"/equipe/commandes.csv?statut=quoted&member={binta}&page=3"))
    assert [row[0] for row in rows[1:]] == [hers]
    # The list offers the export with its own filters.
    page = html.unescape(client.get(f"/equipe/commandes?statut=quoted&member={binta}")
                         .get_data(as_text=True))
    link = re.search(r'href="([^"]+)" data-testid="csv"', page).group(1)
    assert link.startswith("/equipe/commandes.csv?")
    assert "statut=quoted" in link and f"member={binta}" in link


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://evil.example\")", "+33 1 23", "-2+3",
                                  "@SUM(A1)", "\tTab", "\rRetour"])
def test_the_csv_export_defuses_formulas(app, client, staff, name):
    with app.app_context():
        user_id = make_user("piege@example.com", full_name=name).id
    order_for(app, user_id)
    rows = csv_rows(client.get("/equipe/commandes.csv"))
    assert rows[1][2] == "'" + name


def test_an_empty_export_still_has_its_header(client, staff):
    rows = csv_rows(client.get("/equipe/commandes.csv?q=personne"))
    assert len(rows) == 1


# --- Access -------------------------------------------------------------------------------

@pytest.mark.parametrize("url", NEW_ROUTES)
def test_anonymous_visitors_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


@pytest.mark.parametrize("url", NEW_ROUTES)
def test_members_are_refused(app, client, awa, url):
    order_for(app, awa)
    assert login(client, "awa@example.com").status_code == 302
    response = client.get(url)
    assert response.status_code == 403
    assert "DEM-" not in response.get_data(as_text=True)


def test_members_do_not_see_the_staff_menu(app, client, awa):
    assert login(client, "awa@example.com").status_code == 302
    assert "/equipe/commandes" not in client.get("/").get_data(as_text=True)


# --- No query per order -------------------------------------------------------------------

def _orders_in_every_status(app, user_id: int, count: int) -> None:
    statuses = [status for status in ALL_STATUSES if status != "draft"]
    for number in range(count):
        order_for(app, user_id, statuses[number % len(statuses)], items=1 + number % 3)


@pytest.mark.parametrize("url", ["/equipe/", "/equipe/commandes",
                                 "/equipe/commandes?q=article&tri=attente"])
def test_pages_run_as_many_queries_for_3_orders_as_for_30(app, client, staff, awa, url):
    _orders_in_every_status(app, awa, 3)
    client.get(url)  # warm up (anything cached once per process)
    with sql_statements(app) as few:
        assert client.get(url).status_code == 200
    _orders_in_every_status(app, awa, 27)
    with sql_statements(app) as many:
        assert client.get(url).status_code == 200
    assert len(few) == len(many)
