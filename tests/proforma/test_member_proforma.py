"""The member reads the proforma (page and PDF), asks for a change, sees it expire; nobody else
sees it."""
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.extensions import db
from portal.messaging.models import Notification, OrderMessage
from portal.requests.models import Order
from tests.members.helpers import move_clock
from tests.proforma.conftest import MEMBER, STAFF, quote_fields
from tests.requests.helpers import words as page_text

EDITOR = "/equipe/commandes/{}/proforma"


def test_the_member_reads_the_proforma_with_amounts_and_payment_instructions(
        app, member_client, quoted):
    page = page_text(member_client.get(f"/commandes/{quoted.id}/proforma"))
    assert "Proforma PF-" in page and "version 1" in page and "En vigueur" in page
    for text in ("Crème hydratante Éclat", "2 × 12,50 €", "Total 185,49 €",
                 "Acompte à verser (50 %) 92,75 €", "Solde à l'arrivée 92,74 €",
                 "Virement bancaire", "IBAN CI93", "Wave : +225 07 00 00 00 01",
                 "Livraison estimée sous 3 semaines.",
                 "Ce document est une proforma : il ne s'agit pas d'une facture."):
        assert text in page, text


def test_the_order_page_leads_to_the_proforma_and_lists_the_document(app, member_client,
                                                                      quoted):
    page = page_text(member_client.get(f"/commandes/{quoted.id}"))
    assert "Votre proforma est prête : 185,49 €, dont un acompte de 92,75 €" in page
    assert "Proforma PF-" in page and "v1" in page


def test_the_member_downloads_the_pdf(app, member_client, quoted):
    response = member_client.get(f"/commandes/{quoted.id}/proforma/v1/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "DEM-2026-00042" in text and "Hélène Kouassi-N'Guessan" in text


def test_a_superseded_version_stays_readable_and_is_marked(app, member_client, staff_client,
                                                           quoted, agency):
    staff_client.post_form(EDITOR.format(quoted.id),
                           quote_fields(quoted, agency, prices=("10", "30", "99,99"), base_version="1"))
    old = page_text(member_client.get(f"/commandes/{quoted.id}/proforma/v1"))
    assert "Remplacée par une version plus récente" in old and "Voir la version en vigueur" in old
    current = page_text(member_client.get(f"/commandes/{quoted.id}/proforma"))
    assert "version 2" in current and "En vigueur" in current and "Toutes les versions" in current
    assert member_client.get(f"/commandes/{quoted.id}/proforma/v1/pdf").status_code == 200


def test_past_its_validity_the_proforma_is_expired_and_cannot_be_paid(app, member_client,
                                                                     quoted, monkeypatch):
    move_clock(monkeypatch, days=8)
    page = page_text(member_client.get(f"/commandes/{quoted.id}/proforma"))
    assert "Expirée" in page and "Cette proforma a expiré : ne la réglez pas." in page
    assert "Réglez 92,75 €" not in page
    order_page = page_text(member_client.get(f"/commandes/{quoted.id}"))
    assert "a expiré le" in order_page
    from portal.workflow import WorkflowError, advance
    with app.app_context():
        order = db.session.get(Order, quoted.id)
        with pytest.raises(WorkflowError, match="expiré"):
            advance(order, "deposit_review", order.user, proof="proof")


def test_a_new_version_makes_an_expired_proforma_payable_again(app, member_client, staff_client,
                                                               quoted, agency, monkeypatch):
    move_clock(monkeypatch, days=8)
    staff_client.post_form(EDITOR.format(quoted.id), quote_fields(quoted, agency, base_version="1"))
    page = page_text(member_client.get(f"/commandes/{quoted.id}/proforma"))
    assert "En vigueur" in page and "version 2" in page


def test_the_member_asks_for_a_change_and_staff_see_it(app, member_client, staff_client,
                                                       quoted):
    response = member_client.post_form(f"/commandes/{quoted.id}/proforma/modification",
                                       {"body": "Pouvez-vous retirer la montre ?"},
                                       follow_redirects=True)
    assert "Votre demande de modification est envoyée" in page_text(response)
    staff_page = page_text(staff_client.get(f"/equipe/commandes/{quoted.id}"))
    assert "Demande de modification" in staff_page
    assert "Pouvez-vous retirer la montre ?" in staff_page
    editor = page_text(staff_client.get(EDITOR.format(quoted.id)))
    assert "Demande de modification du membre : Pouvez-vous retirer la montre ?" in editor
    with app.app_context():
        staff_told = db.session.scalars(select(Notification.text).join(Notification.user)
                                        .where(Notification.user.has(email=STAFF))).all()
    assert any("Demande de modification" in text for text in staff_told)


@pytest.mark.parametrize("body", ["", "x" * 2001, "Bonjour\x07"])
def test_a_bad_change_request_is_refused_and_nothing_stored(app, member_client, quoted, body):
    response = member_client.post_form(f"/commandes/{quoted.id}/proforma/modification",
                                       {"body": body}, follow_redirects=True)
    assert response.status_code == 200
    assert "alert-danger" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(OrderMessage)).all() == []


def test_staff_notes_are_never_shown_to_the_member(app, member_client, staff_client, quoted):
    staff_client.post_form(f"/equipe/commandes/{quoted.id}/notes",
                           {"body": "Client pressé, vérifier le stock."})
    assert "Client pressé" in page_text(staff_client.get(f"/equipe/commandes/{quoted.id}"))
    for url in (f"/commandes/{quoted.id}", f"/commandes/{quoted.id}/proforma"):
        assert "Client pressé" not in page_text(member_client.get(url))


MEMBER_URLS = ["/commandes/{}/proforma", "/commandes/{}/proforma/v1",
               "/commandes/{}/proforma/v1/pdf"]


@pytest.mark.parametrize("url", MEMBER_URLS)
def test_another_member_gets_a_404_and_anonymous_the_login_page(app, client, stranger_client,
                                                                quoted, url):
    assert stranger_client.get(url.format(quoted.id)).status_code == 404
    response = client.get(url.format(quoted.id))
    assert response.status_code == 302 and "/connexion" in response.location


def test_another_member_cannot_ask_for_a_change(app, stranger_client, quoted):
    response = stranger_client.post_form(f"/commandes/{quoted.id}/proforma/modification",
                                         {"body": "Je veux tout gratuitement"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalars(select(OrderMessage)).all() == []


def test_unknown_versions_and_orders_are_404(app, member_client, quoted):
    for url in (f"/commandes/{quoted.id}/proforma/v9", f"/commandes/{quoted.id}/proforma/v9/pdf",
                "/commandes/99999/proforma", f"/commandes/{quoted.id}/proforma/v99999999999"):
        assert member_client.get(url).status_code == 404


def test_before_any_proforma_the_page_is_404(app, member_client, request_order):
    assert member_client.get(f"/commandes/{request_order.id}/proforma").status_code == 404


def test_the_change_request_form_is_gone_once_the_order_moves_on(app, member_client, quoted):
    with app.app_context():
        db.session.get(Order, quoted.id).status = "deposit_review"
        db.session.commit()
    page = page_text(member_client.get(f"/commandes/{quoted.id}/proforma"))
    assert "Demander une modification" not in page
    response = member_client.post_form(f"/commandes/{quoted.id}/proforma/modification",
                                       {"body": "Trop tard ?"}, follow_redirects=True)
    assert "Cette proforma ne peut plus être modifiée." in page_text(response)


def test_the_member_mail_is_in_french_with_the_member_name(app, quoted, outbox):
    [mail] = outbox.to(MEMBER, "proforma_issued")
    assert mail.subject.startswith("Votre proforma PF-") and "DEM-2026-00042" in mail.subject
    assert "Bonjour Hélène Kouassi-N'Guessan," in mail.body_text
