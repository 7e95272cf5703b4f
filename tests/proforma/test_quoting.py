"""Staff price a request and issue the proforma: numbering, snapshot, PDF, status, the member
told; drafts, preview, live totals; every bad input refused with nothing issued."""
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from portal import clock, storage
from portal.extensions import db
from portal.messaging.models import Notification, OutboxMessage
from portal.proforma.models import Proforma, QuoteDraft
from portal.requests.models import Order
from tests.proforma.conftest import MEMBER, quote_fields
from tests.requests.helpers import flat, page_text
from tests.test_workflow import postgres_only

EDITOR = "/equipe/commandes/{}/proforma"


def proformas(app, order_id) -> list[Proforma]:
    with app.app_context():
        rows = db.session.scalars(select(Proforma).where(Proforma.order_id == order_id)
                                  .order_by(Proforma.version)).all()
        db.session.expunge_all()
        return rows


def status_of(app, order_id) -> str:
    with app.app_context():
        return db.session.get(Order, order_id).status


def issue(client, order, agency, follow_redirects=False, **overrides):
    return client.post_form(EDITOR.format(order.id), quote_fields(order, agency, **overrides),
                            follow_redirects=follow_redirects)


def test_the_editor_lists_each_line_with_defaults_from_the_settings(
        app, staff_client, request_order):
    page = page_text(staff_client.get(EDITOR.format(request_order.id)))
    for name in ("Crème hydratante Éclat", "Sac à dos 20 L", "Montre connectée"):
        assert name in page
    assert "Laissez vide pour le calcul automatique : 10 % des articles, au minimum 5,00 €." in page
    assert "Virement bancaire" in page and "Wave" in page and "Ancien compte" not in page
    assert 'value="50"' in staff_client.get(EDITOR.format(request_order.id)).get_data(True)


def test_issuing_freezes_a_numbered_proforma_and_moves_the_order_to_quoted(
        app, staff_client, request_order, agency, outbox):
    response = issue(staff_client, request_order, agency)
    assert response.status_code == 302
    [proforma] = proformas(app, request_order.id)
    assert re.fullmatch(r"PF-\d{4}-00001", proforma.number) and proforma.version == 1
    assert (proforma.subtotal, proforma.fees_total, proforma.total) == (15499, 3050, 18549)
    assert (proforma.deposit_due, proforma.balance_due) == (9275, 9274)
    content = proforma.content
    assert [fee["label"] for fee in content["fees"]] == [
        "Frais de service", "Transport international estimé"]
    assert content["customer"]["name"] == "Hélène Kouassi-N'Guessan"
    assert content["company"]["identifiers"] == [["RCCM", "CI-ABJ-2026-B-1234"]]
    assert [m["name"] for m in content["payment_methods"]] == ["Virement bancaire", "Wave"]
    assert status_of(app, request_order.id) == "quoted"
    with app.app_context():
        text = "\n".join(page.extract_text() for page in
                         PdfReader(io.BytesIO(storage.read(proforma.pdf_key))).pages)
    assert proforma.number in text and "DEM-2026-00042" in text
    [mail] = outbox.to(MEMBER, "proforma_issued")
    assert mail.attachments == [{"key": proforma.pdf_key, "filename": f"{proforma.number}-v1.pdf",
                                 "content_type": "application/pdf"}]
    assert "185,49 €" in flat(mail.body_text) and "92,75 €" in flat(mail.body_text)
    assert outbox.to(MEMBER, "status_changed") == [], "one mail, the one with the document"
    with app.app_context():
        told = db.session.scalars(select(Notification.text)
                                  .where(Notification.user_id == request_order.member_id)).all()
    assert any(proforma.number in text for text in told)


def test_a_revision_is_the_next_version_of_the_same_number_and_supersedes_the_first(
        app, staff_client, request_order, agency, outbox):
    issue(staff_client, request_order, agency)
    page = page_text(staff_client.get(EDITOR.format(request_order.id)))
    assert "Vous préparez la version 2" in page
    assert issue(staff_client, request_order, agency, base_version="1",
                 prices=("12,50", None, "99,99")).status_code == 302
    first, second = proformas(app, request_order.id)
    assert (first.number, first.version, first.status) == (second.number, 1, "superseded")
    assert (second.version, second.status) == (2, "issued")
    assert [line["name"] for line in second.content["unavailable"]] == ["Sac à dos 20 L"]
    assert second.subtotal == 12499
    assert status_of(app, request_order.id) == "quoted"
    assert len(outbox.to(MEMBER, "proforma_issued")) == 2
    assert first.pdf_key != second.pdf_key


@pytest.mark.parametrize("base", ["0", "2", "abc", "9" * 40])
def test_issuing_from_a_stale_editor_is_refused(app, staff_client, request_order, agency, base):
    """Two staff opened the editor; the first issued version 1: the second must not
    silently replace it."""
    issue(staff_client, request_order, agency)
    response = issue(staff_client, request_order, agency, base_version=base,
                     follow_redirects=True)
    assert "Une autre personne vient d'émettre une proforma" in page_text(response)
    assert [p.version for p in proformas(app, request_order.id)] == [1]


@postgres_only
def test_two_staff_issuing_at_once_make_one_proforma(app, request_order, agency):
    from portal.members.models import User
    from portal.proforma.forms import QuoteInput
    from portal.proforma.quoting import issue_proforma
    from portal.proforma.totals import Deposit, Line, Quote
    from tests.factories import make_user
    from tests.test_workflow import in_threads

    with app.app_context():
        staff_ids = [make_user(f"staff{n}@agence.example", role="staff").id for n in range(2)]

    def work(index, barrier):
        order = db.session.get(Order, request_order.id)
        actor = db.session.get(User, staff_ids[index])
        quote = Quote([Line(i.name, i.url, i.quantity, 1000, item_id=i.id) for i in order.items],
                      [], Deposit("percent", 5000))
        given = QuoteInput(quote, clock.utcnow().date(), [agency.bank], None, True, 0)
        barrier.wait()
        issue_proforma(order, given, actor)
        db.session.commit()
        return "issued"

    results = in_threads(app, 2, work)
    assert results.count("issued") == 1, results
    assert [p.version for p in proformas(app, request_order.id)] == [1]
    assert status_of(app, request_order.id) == "quoted"


def test_numbers_follow_each_other_across_orders(app, staff_client, request_order, agency):
    issue(staff_client, request_order, agency)
    from tests.factories import make_order
    with app.app_context():
        from portal.members.models import User
        member = db.session.scalar(select(User).where(User.email == MEMBER))
        other = make_order(member, "submitted", items=3, reference="DEM-2026-00043")
        other_ids = [item.id for item in other.items]
    from types import SimpleNamespace
    issue(staff_client, SimpleNamespace(id=other.id, item_ids=other_ids), agency)
    numbers = [p.number for p in proformas(app, request_order.id) + proformas(app, other.id)]
    assert [n[-5:] for n in numbers] == ["00001", "00002"]


def test_a_fixed_deposit_and_other_fees_add_up(app, staff_client, request_order, agency):
    overrides = {"deposit_mode": "amount", "deposit_amount": "100", "service_fee": "20",
                 "shipping": "", "other_fees-0-label": "Emballage renforcé",
                 "other_fees-0-amount": "4,50"}
    assert issue(staff_client, request_order, agency, **overrides).status_code == 302
    [proforma] = proformas(app, request_order.id)
    assert proforma.fees_total == 2000 + 450
    assert proforma.total == 15499 + 2450
    assert (proforma.deposit_due, proforma.balance_due) == (10000, 7949)
    assert proforma.content["deposit_percent"] is None


BAD_INPUTS = {
    "price missing": ({"lines-0-unit_price": ""}, "Indiquez un prix, ou cochez « indisponible »."),
    "price not a number": ({"lines-0-unit_price": "douze"}, "Montant invalide"),
    "negative price": ({"lines-1-unit_price": "-5"}, "Montant invalide"),
    "three decimals": ({"lines-1-unit_price": "1,234"}, "Montant invalide"),
    "huge price": ({"lines-1-unit_price": "9" * 30}, "20 caractères au maximum"),
    "zero price": ({"lines-1-unit_price": "0"}, "Le prix doit être supérieur à zéro."),
    "unavailable without reason": ({"lines-2-unavailable": "y", "lines-2-reason": ""},
                                   "Indiquez pourquoi l'article est indisponible."),
    "forged item id": ({"lines-0-item_id": "999999"}, "La liste des articles a changé"),
    "missing line": ({"lines-2-item_id": None}, "La liste des articles a changé"),
    "deposit over 100 %": ({"deposit_percent": "150"}, "Un pourcentage entre 0 et 100."),
    "deposit above total": ({"deposit_mode": "amount", "deposit_amount": "5000"},
                            "L'acompte dépasse le total."),
    "unknown deposit mode": ({"deposit_mode": "gratuit"}, "N'est pas un choix valide."),
    "past validity": ({"valid_until": "2001-01-01"}, "Une date entre aujourd'hui et dans un an."),
    "validity not a date": ({"valid_until": "demain"}, "N'est pas une date valide."),
    "no payment method": ({"payment_methods": []}, "Proposez au moins un moyen de paiement."),
    "hidden payment method": ({"payment_methods": ["999"]}, "n'est pas un choix valide"),
    "fee without label": ({"other_fees-1-amount": "3"}, "Donnez un libellé à ces frais."),
    "label without fee": ({"other_fees-1-label": "Douane"}, "Indiquez le montant de ces frais."),
    "control characters": ({"message": "Bonjour\x00"},
                           "Ce texte contient des caractères non autorisés."),
    "message too long": ({"message": "x" * 2001}, "2000 caractères au maximum."),
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_issued(
        app, staff_client, request_order, agency, outbox, name):
    overrides, message = BAD_INPUTS[name]
    data = quote_fields(request_order, agency) | overrides
    data = {key: value for key, value in data.items() if value is not None}
    response = staff_client.post_form(EDITOR.format(request_order.id), data)
    assert response.status_code == 422
    assert message in page_text(response)
    assert proformas(app, request_order.id) == []
    assert status_of(app, request_order.id) == "submitted"
    assert outbox.to(MEMBER, "proforma_issued") == []


def test_every_line_unavailable_is_refused(app, staff_client, request_order, agency):
    response = issue(staff_client, request_order, agency, prices=(None, None, None))
    assert response.status_code == 422
    assert "Tous les articles sont indisponibles" in page_text(response)


def test_hostile_text_comes_back_escaped(app, staff_client, request_order, agency):
    hostile = '<script>alert("x")</script>'
    response = issue(staff_client, request_order, agency, message=hostile,
                     **{"lines-0-unit_price": hostile})
    body = response.get_data(as_text=True)
    assert "<script>alert" not in body and "&lt;script&gt;" in body


def test_a_draft_keeps_what_was_typed_and_goes_once_issued(app, staff_client, request_order,
                                                           agency):
    data = quote_fields(request_order, agency, message="À finir demain")
    data["lines-1-unit_price"] = "31,75"
    data["evil"] = "x" * 50
    response = staff_client.post_form(EDITOR.format(request_order.id) + "/brouillon", data)
    assert response.status_code == 302
    with app.app_context():
        draft = db.session.get(QuoteDraft, request_order.id)
        assert "evil" not in draft.fields and draft.fields["lines-1-unit_price"] == ["31,75"]
    page = staff_client.get(EDITOR.format(request_order.id)).get_data(as_text=True)
    assert 'value="31,75"' in page and "À finir demain" in page
    assert proformas(app, request_order.id) == []
    issue(staff_client, request_order, agency)
    with app.app_context():
        assert db.session.get(QuoteDraft, request_order.id) is None


def test_the_preview_is_a_pdf_marked_as_such_and_saves_nothing(app, staff_client,
                                                                request_order, agency):
    response = staff_client.post_form(EDITOR.format(request_order.id) + "/apercu",
                                      quote_fields(request_order, agency))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in
                     PdfReader(io.BytesIO(response.data)).pages)
    assert "APERÇU" in text and "Crème hydratante Éclat" in text
    assert proformas(app, request_order.id) == []
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_live_totals_are_computed_by_the_server(app, staff_client, request_order, agency):
    data = quote_fields(request_order, agency)
    data["lines-2-unit_price"] = "pas encore"
    response = staff_client.post_form(EDITOR.format(request_order.id) + "/totaux", data)
    totals = {key: flat(value) if isinstance(value, str) else [flat(v) for v in value]
              for key, value in response.get_json().items()}
    assert totals["lines"] == ["25,00 €", "30,00 €", "0,00 €"]
    assert totals["subtotal"] == "55,00 €"
    assert totals["service_fee"] == "5,50 €"
    assert totals["total"] == "75,50 €"
    assert totals["deposit"] == "37,75 €" and totals["balance"] == "37,75 €"


def test_an_order_past_quoting_cannot_be_quoted_again(app, staff_client, request_order, agency):
    with app.app_context():
        order = db.session.get(Order, request_order.id)
        order.status = "confirmed"
        db.session.commit()
    assert staff_client.get(EDITOR.format(request_order.id)).status_code == 404
    assert issue(staff_client, request_order, agency).status_code == 404
    assert proformas(app, request_order.id) == []


@pytest.mark.parametrize("path", ["", "/brouillon", "/apercu", "/totaux"])
def test_members_and_anonymous_never_reach_the_editor(app, client, member_client,
                                                      request_order, agency, path):
    url = EDITOR.format(request_order.id) + path
    data = quote_fields(request_order, agency)
    assert member_client.post_form(url, data).status_code == 403
    if not path:
        assert member_client.get(url).status_code == 403
    assert client.post_form(url, data).status_code == 302  # to the login page
    assert proformas(app, request_order.id) == []


def test_a_post_without_csrf_token_is_refused(app, staff_client, request_order, agency):
    data = quote_fields(request_order, agency)
    response = staff_client.post(EDITOR.format(request_order.id), data=data)
    assert response.status_code == 400
    assert proformas(app, request_order.id) == []
