"""Browser tests: the portal served on loopback, driven by Playwright in the system's Chromium.

Chromium comes from the operating system (Debian's `chromium` package), never from Playwright's
own download. Without it the browser tests are skipped, and the run says so plainly — except on
CI (CI=true), where a missing browser is a failure.
"""
import os
import shutil
import threading
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from werkzeug.serving import make_server

from tests.conftest import free_port
from tests.messaging.conftest import mail_server, smtp  # noqa: F401 (fixtures)

CHROMIUM_CANDIDATES = [os.environ.get("CHROMIUM_PATH", ""), "/usr/lib/chromium/chromium",
                       shutil.which("chromium") or "", shutil.which("chromium-browser") or ""]
CHROMIUM = next((path for path in CHROMIUM_CANDIDATES if path and os.access(path, os.X_OK)), None)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SKIPPED = []
AXE = Axe()
BLOCKING = {"serious", "critical"}
CHECKED_PAGES: list[str] = []  # "<viewport> <path>" of every page axe-core passed
FORMS_SENT: list[str] = []  # "<path> form <n>" of every form sent empty by the a11y crawl
SETTLED = """() => document.readyState === 'complete'
    && [...document.querySelectorAll('link[rel=stylesheet]')].every(link => link.sheet)
    && document.getAnimations().every(animation => animation.playState !== 'running')"""
ERRORS_TIED = """() => [...document.querySelectorAll('.invalid-feedback')]
    .filter(e => e.textContent.trim())
    .filter(e => !document.querySelector(`[aria-describedby~="${e.id}"]`))
    .map(e => e.id || e.textContent.trim())"""


def pytest_collection_modifyitems(config, items):
    if CHROMIUM:
        return
    if os.environ.get("CI"):
        raise pytest.UsageError("Chromium is missing: CI never skips the browser tests.")
    marker = pytest.mark.skip(reason="Chromium not installed (apt-get install -y chromium)")
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(marker)
            SKIPPED.append(item.nodeid)


def pytest_terminal_summary(terminalreporter):
    if CHECKED_PAGES:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "axe-pages.txt").write_text("\n".join(CHECKED_PAGES) + "\n")
        terminalreporter.write_line(
            f"axe-core: {len(CHECKED_PAGES)} page views checked, "
            f"{len(set(CHECKED_PAGES))} distinct (list in test-artifacts/axe-pages.txt); "
            f"{len(FORMS_SENT)} forms sent empty and their errors checked")
    if SKIPPED:
        terminalreporter.write_line(
            f"BROWSER TESTS SKIPPED ({len(SKIPPED)}): Chromium was not found on this machine. "
            "Install it with `apt-get install -y chromium` to run them.", yellow=True, bold=True)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def check_accessibility(page) -> None:
    """axe-core finds no serious or critical violation on the page as it is now, every
    visible form error is tied to its field (aria-describedby), and the page is no wider than
    the screen (a wide table scrolls inside its own box, the page never sideways).

    It first waits until the styles have settled: a page written by a script (the proof
    upload writes the server's answer) gets its CSS after its text, and axe-core would
    measure colours halfway through a transition."""
    page.wait_for_function(SETTLED)
    found = [v for v in AXE.run(page).response["violations"] if v["impact"] in BLOCKING]
    report = [f"{v['id']} ({v['impact']}): {v['help']} — "
              + "; ".join(node["html"][:160] for node in v["nodes"][:3]) for v in found]
    assert not report, f"axe-core on {page.url}:\n" + "\n".join(report)
    loose = page.evaluate(ERRORS_TIED)
    assert not loose, f"form errors not tied to a field on {page.url}: {loose}"
    width = page.viewport_size["width"]
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= width, f"{page.url} is {page_width}px wide on a {width}px screen"
    CHECKED_PAGES.append(f"{width}px {page.url.split('//', 1)[-1].split('/', 1)[-1]}")


@pytest.fixture(scope="session")
def live_server(app):
    """The test app served over HTTP on a free loopback port, in a thread."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    previous = app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = url
    yield url
    app.config["PUBLIC_BASE_URL"] = previous
    server.shutdown()


@pytest.fixture
def phone(browser, live_server):
    """A page in a phone-sized browser context, French like the members."""
    context = browser.new_context(viewport=PHONE, base_url=live_server, locale="fr-FR",
                                  is_mobile=True, has_touch=True, accept_downloads=True,
                                  reduced_motion="reduce")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser, live_server):
    """A page in a desktop-sized browser context: staff work at a desk."""
    context = browser.new_context(viewport=DESKTOP, base_url=live_server,
                                  locale="fr-FR", accept_downloads=True, reduced_motion="reduce")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shots(request):
    """Save numbered screenshots under test-artifacts/<test name>/ for people to look at; every
    page shot is first checked for accessibility (axe-core, errors tied to fields)."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1000))

    def shoot(page, name: str) -> Path:
        check_accessibility(page)
        path = folder / f"{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shoot
