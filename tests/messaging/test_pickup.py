"""Handing the goods over: once the balance is accepted the order is ready, gets its pickup
code and the member receives the arrangement (pickup point, address, hours, code — or the home
delivery arrangement) by their channel; the member page shows the code and its QR code, staff
find the order by the code and record who took it; members are reminded when they do not come.
"""
import re
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import quote

import pytest
import segno
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.members.models import User
from portal.messaging.models import Notification, OutboxMessage
from portal.payments.models import PaymentProof
from portal.requests import pickup
from portal.requests.models import Order, StatusChange
from tests.factories import login
from tests.messaging.rows import detached, detached_all
from tests.messaging.test_threads import by_testid, text_of
from tests.messaging.whatsapp_setup import heard_from
from tests.payments import builders
from tests.proforma.conftest import set_agency

STAFF, EMAIL_MEMBER, WHATSAPP_MEMBER = ("moussa@agence.example", "awa@example.com",
                                        "mariam@example.com")
READY_LABEL = "Prête — retrait ou livraison à organiser"
POINT = ("Agence Plateau", "Avenue Chardy, Abidjan", "9 h–18 h")  # tests.factories
CODE = re.compile(rf"[{pickup.ALPHABET}]{{8}}")
LOOKUP, HAND_OVER = "/equipe/retrait", "/equipe/commandes/{}/remise"


@pytest.fixture
def people(app):
    """The agency, Moussa (staff), Awa (news by e-mail) and Mariam (news by WhatsApp)."""
    with app.app_context():
        builders.agency()
        staff = builders.staff_member(STAFF)
        awa = builders.member(EMAIL_MEMBER, full_name="Awa Koné", preferred_channel="email")
        mariam = builders.member(WHATSAPP_MEMBER, full_name="Mariam Touré",
                                 phone="+2250709090909", preferred_channel="whatsapp")
        return SimpleNamespace(staff=staff.id, awa=awa.id, mariam=mariam.id)


def balance_sent(app, people, member: str = "awa", home: bool = False) -> int:
    """An order of `member` walked to balance_review through the services; its id."""
    with app.app_context():
        owner = db.session.get(User, getattr(people, member))
        staff = db.session.get(User, people.staff)
        order = builders.quoted(owner, staff)
        if home:
            order.delivery_mode, order.pickup_point_id = "home", None
            db.session.commit()
        for step in builders.PATH[1:]:
            {"deposit_review": builders.deposit_sent,
             "confirmed": lambda o: builders.confirmed(o, staff),
             "purchased": lambda o: builders.purchased(o, staff),
             "in_transit": lambda o: builders.in_transit(o, staff),
             "arrived": lambda o: builders.arrived(o, staff),
             "balance_review": builders.proof_sent}[step](order)
        assert order.status == "balance_review"
        return order.id


def balance_accepted(app, order_id: int, staff_id: int) -> None:
    """Staff accept the balance proof (the service the review page calls): the order is
    ready."""
    with app.app_context():
        proof = db.session.scalar(select(PaymentProof).where(
            PaymentProof.order_id == order_id, PaymentProof.status == "pending"))
        builders.accepted(proof, db.session.get(User, staff_id))


def ready_order(app, people, member: str = "awa", home: bool = False) -> int:
    order_id = balance_sent(app, people, member, home)
    balance_accepted(app, order_id, people.staff)
    return order_id


def order_of(app, order_id: int) -> Order:
    return detached(app, Order, order_id)


def rows(app, kind: str | None = None) -> list[OutboxMessage]:
    with app.app_context():
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        return detached_all(query)


def notices(app, user_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Notification.text).where(
            Notification.user_id == user_id).order_by(Notification.id)))


def logged_in(app, email: str):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


@pytest.fixture
def staff(app, people):
    return logged_in(app, STAFF)


@pytest.fixture
def awa(app, people):
    return logged_in(app, EMAIL_MEMBER)


# --- Ready: the code and the arrangement ------------------------------------------------------

def test_the_accepted_balance_makes_the_order_ready_with_a_code_and_the_arrangement_by_mail(
        app, people):
    order_id = balance_sent(app, people)
    assert order_of(app, order_id).pickup_code is None
    before = len(rows(app))

    balance_accepted(app, order_id, people.staff)

    order = order_of(app, order_id)
    assert order.status == "ready"
    assert CODE.fullmatch(order.pickup_code), order.pickup_code
    [mail] = rows(app, "pickup_ready")
    assert (mail.channel, mail.recipient, mail.fallback_reason) == ("email", EMAIL_MEMBER, None)
    assert mail.subject == f"Commande {order.reference} prête : {order.pickup_code}"
    for part in (*POINT, order.pickup_code, order.reference, "Awa Koné",
                 "pièce d'identité", f"http://localhost/commandes/{order_id}"):
        assert part in mail.body_text, part
        assert part.replace("'", "&#39;") in mail.body_html, part
    assert [r.kind for r in rows(app)[before:]] == ["payment_accepted", "pickup_ready"]
    assert f"Commande {order.reference} : {READY_LABEL}" in notices(app, people.awa)


def test_a_whatsapp_member_inside_the_window_gets_the_arrangement_on_whatsapp(app, people):
    order_id = balance_sent(app, people, "mariam")
    with app.app_context():
        heard_from(people.mariam, order_id, hours_ago=2)
    balance_accepted(app, order_id, people.staff)

    order = order_of(app, order_id)
    [row] = rows(app, "pickup_ready")
    assert (row.channel, row.recipient, row.content_sid) == (
        "whatsapp", "whatsapp:+2250709090909", None)
    for part in (*POINT, order.pickup_code, "Mariam Touré"):
        assert part in row.body_text, part
    assert row.fallback and order.pickup_code in row.fallback["text"], \
        "the e-mail to send instead if WhatsApp cannot deliver it"


def test_a_whatsapp_member_outside_the_window_gets_it_by_email_saying_why(app, people):
    order_id = ready_order(app, people, "mariam")
    [row] = rows(app, "pickup_ready")
    assert (row.channel, row.recipient, row.fallback_reason) == (
        "email", WHATSAPP_MEMBER, "window_closed")
    assert order_of(app, order_id).pickup_code in row.body_text


def test_the_agencys_own_pickup_text_is_used_with_its_placeholders_filled(app, people):
    with app.app_context():
        set_agency(pickup_message="Salut {nom} ! {reference} vous attend à {point} "
                                  "({adresse}, {horaires}). Code {code}. {inconnu} {lien}")
    order_id = ready_order(app, people)

    order = order_of(app, order_id)
    [mail] = rows(app, "pickup_ready")
    assert (f"Salut Awa Koné ! {order.reference} vous attend à Agence Plateau "
            f"(Avenue Chardy, Abidjan, 9 h–18 h). Code {order.pickup_code}. {{inconnu}} "
            f"http://localhost/commandes/{order_id}") in mail.body_text
    assert "pièce d'identité" not in mail.body_text, "the default text is not used"


def test_home_delivery_gets_the_delivery_arrangement(app, people):
    order_id = ready_order(app, people, home=True)

    order = order_of(app, order_id)
    [mail] = rows(app, "pickup_ready")
    assert "livraison" in mail.body_text and "Agence Plateau" not in mail.body_text
    address = order.delivery_address.replace("\n", ", ")
    assert address in mail.body_text
    assert f"Votre code de remise, à donner au livreur : {order.pickup_code}." in mail.body_text


def test_the_agencys_own_delivery_text_is_used_for_home_delivery(app, people):
    with app.app_context():
        set_agency(pickup_message="RETRAIT {point}",
                   delivery_message="Livraison chez {nom} : {adresse} — code {code}{point}.")
    order_id = ready_order(app, people, home=True)

    order = order_of(app, order_id)
    [mail] = rows(app, "pickup_ready")
    assert (f"Livraison chez Awa Koné : {order.delivery_address.replace(chr(10), ', ')} — code "
            f"{order.pickup_code}.") in mail.body_text
    assert "RETRAIT" not in mail.body_text


def test_codes_are_unique_and_kept(app, people):
    first, second = ready_order(app, people), ready_order(app, people)
    codes = {order_of(app, first).pickup_code, order_of(app, second).pickup_code}
    assert len(codes) == 2 and None not in codes
    with app.app_context():
        order = db.session.get(Order, first)
        code = order.pickup_code
        assert pickup.ensure_code(order) == code


# --- The member page --------------------------------------------------------------------------

def test_the_member_page_shows_the_code_and_a_qr_code_of_the_staff_lookup(app, people, awa,
                                                                         staff):
    order_id = ready_order(app, people)
    code = order_of(app, order_id).pickup_code

    page = awa.get(f"/commandes/{order_id}")
    assert page.status_code == 200
    assert by_testid(page, "status") == READY_LABEL
    assert by_testid(page, "pickup-code") == code
    html = page.get_data(as_text=True)
    svg = re.search(r"<svg[^>]*class=\"pickup-qr\".*?</svg>", html, re.S)
    assert svg, "an inline SVG QR code"
    svg = svg.group(0)
    assert "<script" not in svg.lower() and "href" not in svg
    # The QR code carries the lookup URL: the same URL encoded independently gives the same
    # modules.
    lookup = f"http://localhost/equipe/retrait?code={code}"
    expected = segno.make(lookup, error="m").svg_inline(scale=5, border=2)
    path = re.compile(r'<path[^>]* d="([^"]+)"')
    assert path.search(svg).group(1) == path.search(expected).group(1)
    # … and that URL finds the order for staff.
    found = staff.get(lookup.removeprefix("http://localhost"))
    assert found.status_code == 200
    assert by_testid(found, "pickup-order").startswith(order_of(app, order_id).reference)


def test_a_qr_code_is_encoded_once_and_shown_the_same_on_every_visit(app, people, awa,
                                                                    monkeypatch):
    order_id = ready_order(app, people)
    pickup._qr_svg.cache_clear()
    encoded = []
    make = segno.make
    monkeypatch.setattr(segno, "make", lambda *args, **options: encoded.append(args)
                        or make(*args, **options))
    pages = [awa.get(f"/commandes/{order_id}").get_data(as_text=True) for _ in range(3)]
    svgs = {re.search(r"<svg[^>]*class=\"pickup-qr\".*?</svg>", page, re.S).group(0)
            for page in pages}
    assert len(svgs) == 1 and len(encoded) == 1
    awa.post_form("/langue/en", {"next": "/"})  # another title: encoded again
    english = awa.get(f"/commandes/{order_id}").get_data(as_text=True)
    assert "Handover QR code for order" in english
    assert len(encoded) == 2


def test_the_code_and_qr_are_not_shown_before_the_order_is_ready(app, people, awa):
    order_id = balance_sent(app, people)
    page = awa.get(f"/commandes/{order_id}").get_data(as_text=True)
    assert 'data-testid="pickup-code"' not in page and "pickup-qr" not in page


# --- Staff find the order by its code ---------------------------------------------------------

@pytest.mark.parametrize("typed", [
    "{code}", "{lower}", "  {lower}  ", "{a} {b}", "{a}-{b}", "{a} - {b}"])
def test_staff_find_the_order_by_its_code_as_typed(app, people, staff, typed):
    order_id = ready_order(app, people)
    order = order_of(app, order_id)
    code = order.pickup_code
    query = typed.format(code=code, lower=code.lower(), a=code[:4].lower(), b=code[4:])

    page = staff.get(LOOKUP, query_string={"code": query})
    assert page.status_code == 200
    card = by_testid(page, "pickup-order")
    assert card.startswith(order.reference) and "Awa Koné" in card and "Agence Plateau" in card
    assert by_testid(page, "handover"), "the hand-over form is offered"
    assert 'value="Awa Koné"' in page.get_data(as_text=True)


@pytest.mark.parametrize(("typed", "error"), [
    ("ZZZZ9999", "Aucune commande ne porte ce code."),
    ("' OR 1=1 --", "Aucune commande ne porte ce code."),
    ("", "Ce champ est obligatoire."),
    ("A" * 21, "20 caractères au maximum."),
])
def test_an_unknown_code_is_answered_in_french(app, people, staff, typed, error):
    ready_order(app, people)
    page = staff.get(LOOKUP, query_string={"code": typed})
    assert page.status_code == 200
    assert error in text_of(page)
    assert 'data-testid="pickup-order"' not in page.get_data(as_text=True)


def test_the_lookup_page_opens_empty(app, people, staff):
    page = staff.get(LOOKUP)
    assert page.status_code == 200
    assert "Code de remise" in text_of(page)
    assert "Ce champ est obligatoire." not in text_of(page)


# --- The hand-over ----------------------------------------------------------------------------

def test_staff_hand_the_order_over_and_the_member_sees_it_completed(app, people, staff, awa):
    order_id = ready_order(app, people)

    response = staff.post_form(HAND_OVER.format(order_id),
                               {"collected_by": "Ibrahim Koné (son frère)", "how": "pickup"})
    assert response.status_code == 302
    reference = order_of(app, order_id).reference
    assert f"La commande {reference} est remise : elle est terminée." in text_of(
        staff.get(response.headers["Location"]))

    order = order_of(app, order_id)
    assert order.status == "completed"
    assert order.handed_over_to == "Ibrahim Koné (son frère)"
    assert order.handed_over_by_id == people.staff
    assert abs(order.handed_over_at - clock.utcnow()) < timedelta(minutes=1)
    with app.app_context():
        change = db.session.scalars(select(StatusChange).where(
            StatusChange.order_id == order_id).order_by(StatusChange.id.desc())).first()
        assert (change.to_status, change.note) == ("completed",
                                                   "Retirée par Ibrahim Koné (son frère)")

    page = awa.get(f"/commandes/{order_id}")
    assert by_testid(page, "status") == "Retirée / livrée"
    handed = by_testid(page, "handed-over")
    assert handed.startswith("Remise le ") and handed.endswith(" à Ibrahim Koné (son frère).")
    assert 'data-testid="pickup-code"' not in page.get_data(as_text=True)
    assert "Déjà remise le" in text_of(staff.get(LOOKUP, query_string={
        "code": order.pickup_code}))


def test_a_home_delivery_is_recorded_as_delivered(app, people, staff):
    order_id = ready_order(app, people, home=True)
    assert staff.post_form(HAND_OVER.format(order_id), {
        "collected_by": "Awa Koné", "how": "delivered"}).status_code == 302
    with app.app_context():
        change = db.session.scalars(select(StatusChange).where(
            StatusChange.order_id == order_id).order_by(StatusChange.id.desc())).first()
        assert change.note == "Livrée à Awa Koné"


def test_an_order_cannot_be_handed_over_twice(app, people, staff):
    order_id = ready_order(app, people)
    staff.post_form(HAND_OVER.format(order_id), {"collected_by": "Awa Koné", "how": "pickup"})
    first = order_of(app, order_id)

    response = staff.post_form(HAND_OVER.format(order_id), {"collected_by": "Un imposteur",
                                                            "how": "pickup"},
                               follow_redirects=True)
    assert "Cette commande n'est pas prête à être remise." in text_of(response)
    again = order_of(app, order_id)
    assert (again.status, again.handed_over_to, again.handed_over_at) == (
        "completed", "Awa Koné", first.handed_over_at)


def test_an_order_that_is_not_ready_cannot_be_handed_over(app, people, staff):
    order_id = balance_sent(app, people)
    response = staff.post_form(HAND_OVER.format(order_id), {"collected_by": "Awa Koné",
                                                            "how": "pickup"},
                               follow_redirects=True)
    assert "Cette commande n'est pas prête à être remise." in text_of(response)
    order = order_of(app, order_id)
    assert (order.status, order.handed_over_at, order.handed_over_to) == (
        "balance_review", None, None)


@pytest.mark.parametrize(("fields", "error"), [
    ({"collected_by": "", "how": "pickup"}, "Ce champ est obligatoire."),
    ({"collected_by": "x" * 121, "how": "pickup"}, "120 caractères au maximum."),
    ({"collected_by": "Awa", "how": "teleport"}, "Choisissez un mode de la liste."),
])
def test_a_bad_hand_over_form_is_refused_in_french(app, people, staff, fields, error):
    order_id = ready_order(app, people)
    response = staff.post_form(HAND_OVER.format(order_id), fields)
    assert response.status_code == 422
    assert error in text_of(response)
    assert order_of(app, order_id).status == "ready"


def test_the_hand_over_needs_the_csrf_token(app, people, staff):
    order_id = ready_order(app, people)
    assert staff.post(HAND_OVER.format(order_id), data={"collected_by": "Awa",
                                                        "how": "pickup"}).status_code == 400
    assert order_of(app, order_id).status == "ready"


def test_members_cannot_reach_the_lookup_nor_the_hand_over(app, people, awa):
    order_id = ready_order(app, people)
    code = order_of(app, order_id).pickup_code
    assert awa.get(LOOKUP, query_string={"code": code}).status_code == 403
    assert awa.post_form(HAND_OVER.format(order_id), {"collected_by": "Awa Koné",
                                                      "how": "pickup"}).status_code == 403
    assert order_of(app, order_id).status == "ready"
    anonymous = app.test_client()
    assert anonymous.get(LOOKUP, query_string={"code": code}).status_code == 302


def test_handing_over_an_unknown_order_is_not_found(app, people, staff):
    for order_id in ("424242", "99999999999999999999"):
        assert staff.post_form(HAND_OVER.format(order_id), {
            "collected_by": "Awa", "how": "pickup"}).status_code == 404


# --- Reminders --------------------------------------------------------------------------------

def later(monkeypatch, **delta) -> None:
    """The portal's "now" moves by `delta`: portal.clock.utcnow, and the name pickup.py
    imported from it (the reminders read that one)."""
    real_now = clock.utcnow
    moved = lambda: real_now() + timedelta(**delta)  # noqa: E731
    monkeypatch.setattr(clock, "utcnow", moved)
    monkeypatch.setattr(pickup, "utcnow", moved)


def remind(app) -> int:
    with app.app_context():
        return pickup.send_reminders()


def reminders(app) -> list[OutboxMessage]:
    return rows(app, "pickup_reminder")


def test_a_member_is_reminded_once_after_the_days_set_then_once_per_period(app, people,
                                                                           monkeypatch):
    order_id = ready_order(app, people)
    code = order_of(app, order_id).pickup_code

    later(monkeypatch, days=2, hours=23)
    assert remind(app) == 0 and reminders(app) == []

    monkeypatch.undo()
    later(monkeypatch, days=3, minutes=5)
    assert remind(app) == 1
    [mail] = reminders(app)
    assert (mail.channel, mail.recipient) == ("email", EMAIL_MEMBER)
    assert code in mail.body_text and "Agence Plateau" in mail.body_text
    reference = order_of(app, order_id).reference
    assert mail.subject == f"Rappel : votre commande {reference} vous attend"
    assert f"Rappel : votre commande {reference} vous attend." in notices(app, people.awa)
    assert order_of(app, order_id).pickup_reminded_at is not None

    assert remind(app) == 0, "not twice in the same period"
    monkeypatch.undo()
    later(monkeypatch, days=5)
    assert remind(app) == 0 and len(reminders(app)) == 1

    monkeypatch.undo()
    later(monkeypatch, days=6, minutes=10)
    assert remind(app) == 1 and len(reminders(app)) == 2


def test_no_reminder_when_the_agency_turned_them_off(app, people, monkeypatch):
    with app.app_context():
        set_agency(pickup_reminder_days=0)
    ready_order(app, people)
    later(monkeypatch, days=60)
    assert remind(app) == 0 and reminders(app) == []


def test_the_days_come_from_the_settings(app, people, monkeypatch):
    with app.app_context():
        set_agency(pickup_reminder_days=7)
    ready_order(app, people)
    later(monkeypatch, days=6)
    assert remind(app) == 0
    monkeypatch.undo()
    later(monkeypatch, days=7, minutes=1)
    assert remind(app) == 1


def test_orders_handed_over_are_not_reminded(app, people, staff, monkeypatch):
    order_id = ready_order(app, people)
    staff.post_form(HAND_OVER.format(order_id), {"collected_by": "Awa Koné", "how": "pickup"})
    later(monkeypatch, days=10)
    assert remind(app) == 0 and reminders(app) == []


def test_the_command_line_sends_the_reminders(app, people, runner, monkeypatch):
    ready_order(app, people)
    later(monkeypatch, days=4)
    result = runner.invoke(args=["pickup", "remind"])
    assert result.exit_code == 0, result.output
    assert "1 reminder(s) queued." in result.output
    result = runner.invoke(args=["pickup", "remind"])
    assert "0 reminder(s) queued." in result.output
    assert len(reminders(app)) == 1


# --- Writing to the agency on WhatsApp --------------------------------------------------------

def test_the_member_page_links_to_the_agencys_whatsapp_with_the_reference(app, people, awa):
    with app.app_context():
        set_agency(company_whatsapp="+225 07 00 00 00 01")
    order_id = balance_sent(app, people)
    reference = order_of(app, order_id).reference

    page = awa.get(f"/commandes/{order_id}").get_data(as_text=True)
    link = re.search(r'<a [^>]*href="([^"]+)"[^>]*data-testid="whatsapp-link"', page)
    assert link, "a wa.me link on an active order"
    text = quote(f"Bonjour, je vous écris au sujet de ma commande {reference}.")
    assert link.group(1) == f"https://wa.me/2250700000001?text={text}"
    assert "%C3%A9cris" in link.group(1) and " " not in link.group(1)


def test_no_whatsapp_link_on_a_completed_order_nor_without_an_agency_number(app, people, awa,
                                                                           staff):
    order_id = ready_order(app, people)
    assert 'data-testid="whatsapp-link"' not in awa.get(f"/commandes/{order_id}").get_data(
        as_text=True), "the agency has no WhatsApp number"

    with app.app_context():
        set_agency(company_whatsapp="+2250700000001")
    assert 'data-testid="whatsapp-link"' in awa.get(f"/commandes/{order_id}").get_data(
        as_text=True)
    staff.post_form(HAND_OVER.format(order_id), {"collected_by": "Awa Koné", "how": "pickup"})
    assert 'data-testid="whatsapp-link"' not in awa.get(f"/commandes/{order_id}").get_data(
        as_text=True)
