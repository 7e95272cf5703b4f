"""Accessibility of every screen: the demo agency (orders in every status, documents, proofs,
threads) is served and each kind of person walks every page they can reach by a link, on a
phone and on a desktop, then sends every form empty. axe-core must find no serious or critical
violation on any of them (contrast included), and form errors must be tied to their fields
(see conftest)."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from portal.demo import DEMO_ACCOUNTS
from portal.extensions import db
from portal.members.models import User
from portal.payments.models import ArrivalPhoto
from portal.requests.models import Order
from tests.e2e.conftest import DESKTOP, FORMS_SENT, PHONE, check_accessibility

# Links that leave the HTML pages: files, downloads, signing out.
NOT_A_PAGE = re.compile(r"/deconnexion|\.csv|\.pdf|/pdf|/fichier|/telecharger|/media/|/static/"
                        r"|/recu|/photo|/logo|/qr")
TYPED = ("input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=submit])"
         ":not([type=file]), textarea")
FORMS_WITH_FIELDS = f"""() => [...document.forms].map((form, number) => [form, number])
    .filter(([form]) => form.method === "post" && form.querySelector("{TYPED}"))
    .map(([, number]) => number)"""
SEND_EMPTY = f"""number => {{
    const form = document.forms[number];
    form.querySelectorAll("{TYPED}").forEach(field => {{ field.value = ""; }});
    form.submit();
}}"""
ROLES = {
    "anonymous": [],
    "members": [(email, password) for email, _, role, password in DEMO_ACCOUNTS
                if role == "member"],
    "staff": [(email, password) for email, _, role, password in DEMO_ACCOUNTS
              if role == "staff"],
    "admin": [(email, password) for email, _, role, password in DEMO_ACCOUNTS
              if role == "admin"],
}


@pytest.fixture
def agency(app):
    """The demo agency of `flask demo`, in the test database."""
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output


def page_key(url: str) -> str:
    """One visit per page kind (ids replaced) and per tab of a list (`statut`: each shows its
    own columns and buttons), except orders: each status shows other parts."""
    parts = urlsplit(url)
    if "/commandes/" in parts.path:
        return parts.path + "?" + parts.query
    tab = parse_qs(parts.query).get("statut", [""])[0]
    return re.sub(r"\d+", "N", parts.path) + ("?" + tab if parts.query else "")


def log_in(page, email: str, password: str) -> None:
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/connexion" not in url)


def crawl(page, base: str, forms: list | None = None) -> int:
    """Visit every same-site page reachable by links from the home page; check each one.
    With `forms`, note (page, form number) of every POST form that has fields to fill."""
    queue, checked, seen = ["/"], 0, set()
    while queue:
        url = queue.pop(0)
        if page_key(url) in seen:
            continue
        seen.add(page_key(url))
        response = page.goto(url)
        assert response.status < 400, f"{url} answered {response.status}"
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        check_accessibility(page)
        checked += 1
        if forms is not None:
            forms.extend((url, number) for number in page.evaluate(FORMS_WITH_FIELDS))
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            path = href.removeprefix(base).split("#")[0]
            if href.startswith(base) and path and not NOT_A_PAGE.search(path):
                queue.append(path)
    return checked


def send_empty(page, forms: list[tuple[str, int]]) -> None:
    """Send each noted form with its text fields emptied: never a server error, and the page
    that comes back (errors shown) passes the same checks."""
    for url, number in forms:
        page.goto(url)
        if number >= page.evaluate("document.forms.length"):
            continue  # an earlier form changed this page (e.g. an order moved on)
        with page.expect_navigation() as navigation:
            page.evaluate(SEND_EMPTY, number)
        assert navigation.value.status < 500, f"form {number} of {url}"
        if "text/html" in navigation.value.headers.get("content-type", ""):
            check_accessibility(page)
        FORMS_SENT.append(f"{page_key(url)} form {number}")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_and_form_passes_axe_core(browser, live_server, agency, role, viewport):
    """Each page is checked as it opens. On the role's own screen (members: phone, staff:
    desk) every POST form with fields is then sent empty and its errors checked too."""
    context = browser.new_context(viewport=viewport, base_url=live_server, locale="fr-FR",
                                  reduced_motion="reduce")
    page = context.new_page()
    checked = 0 if ROLES[role] else crawl(page, live_server)
    own_screen = viewport == (PHONE if role == "members" else DESKTOP)
    for email, password in ROLES[role]:
        log_in(page, email, password)
        forms: list[tuple[str, int]] = []
        checked += crawl(page, live_server, forms)
        if own_screen:
            send_empty(page, forms)
        context.clear_cookies()
    context.close()
    assert checked >= (4 if role == "anonymous" else 15)


def test_the_outbox_fits_a_phone_with_its_subjects_readable(phone, agency):
    """Staff on a phone, every tab of the sent messages: the page stays within the screen (the
    table scrolls sideways in its own box, its hidden "Actions" heading included), and a
    subject's column is wide enough for whole words, not cut letter by letter."""
    email, password = ROLES["staff"][0]
    log_in(phone, email, password)
    phone.goto("/equipe/envois")
    tabs = phone.locator("ul.nav-pills a").evaluate_all("links => links.map(a => a.href)")
    tables = 0
    for tab in tabs:
        phone.goto(tab)
        check_accessibility(phone)
        subjects = phone.locator("tbody td:nth-child(3)")
        if subjects.count():
            tables += 1
            assert subjects.first.bounding_box()["width"] >= 176, tab  # 11rem
    assert len(tabs) == 5 and tables >= 2


def test_a_photo_opens_in_the_browsers_viewer_and_every_page_has_its_icon(phone, agency, app):
    """A member taps an arrival photo: it opens in a tab of its own, in the browser's image
    viewer, whose styles the file's own policy allows (the pages' policy refused them, an
    error in the console); and no page asks for an icon that is not there."""
    errors = []
    phone.context.on("console", lambda message: errors.append(
        f"{message.page.url if message.page else '?'}: {message.text}")
        if message.type == "error" else None)
    with app.app_context():
        order_id, email = db.session.execute(
            select(Order.id, User.email).join(ArrivalPhoto, ArrivalPhoto.order_id == Order.id)
            .join(User, User.id == Order.user_id).order_by(Order.id).limit(1)).one()
    password = next(secret for address, _, _, secret in DEMO_ACCOUNTS if address == email)
    log_in(phone, email, password)
    phone.goto(f"/commandes/{order_id}")
    with phone.context.expect_page() as opened:
        phone.get_by_test_id("arrival-photos").locator("a").first.click()
    photo = opened.value
    photo.wait_for_load_state()
    assert "/photos/" in photo.url
    assert photo.evaluate("document.images.length === 1 && document.images[0].naturalWidth > 0")
    icon = phone.request.get("/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/vnd.microsoft.icon"
    assert errors == []
