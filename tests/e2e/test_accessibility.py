"""Accessibility of every screen: the demo agency (orders in every status, documents, proofs,
threads) is served and each kind of person walks every page they can reach by a link, on a
phone and on a desktop. axe-core must find no serious or critical violation on any of them
(contrast included), and form errors must be tied to their fields (see conftest)."""
import re
from urllib.parse import urlsplit

import pytest

from portal.demo import DEMO_ACCOUNTS
from tests.e2e.conftest import DESKTOP, PHONE, check_accessibility

# Links that leave the HTML pages: files, downloads, signing out.
NOT_A_PAGE = re.compile(r"/deconnexion|\.csv|\.pdf|/pdf|/fichier|/telecharger|/media/|/static/"
                        r"|/recu|/photo|/logo|/qr")
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
    """One visit per page kind (ids replaced), except orders: each status shows other parts."""
    parts = urlsplit(url)
    if "/commandes/" in parts.path:
        return parts.path + "?" + parts.query
    return re.sub(r"\d+", "N", parts.path) + ("?" if parts.query else "")


def log_in(page, email: str, password: str) -> None:
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/connexion" not in url)


def crawl(page, base: str) -> int:
    """Visit every same-site page reachable by links from the home page; check each one."""
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
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            path = href.removeprefix(base).split("#")[0]
            if href.startswith(base) and path and not NOT_A_PAGE.search(path):
                queue.append(path)
    return checked


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_passes_axe_core(browser, live_server, agency, role, viewport):
    context = browser.new_context(viewport=viewport, base_url=live_server, locale="fr-FR",
                                  reduced_motion="reduce")
    page = context.new_page()
    checked = 0 if ROLES[role] else crawl(page, live_server)
    for email, password in ROLES[role]:
        log_in(page, email, password)
        checked += crawl(page, live_server)
        context.clear_cookies()
    context.close()
    assert checked >= (4 if role == "anonymous" else 15)
