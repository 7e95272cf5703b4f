"""The access sweep: every route of `app.url_map` is classified here, and each is called by
each kind of person with the real ids of Aminata's objects (tests/access_objects.py).

Classes: public (anyone), member (the owner; `staff` records what staff get), staff, admin,
webhook (Twilio: 403 without its signature, for everyone) and static files. A route missing
from ROUTES, or listed there but gone from the app, fails `test_every_route_is_classified…`;
a route argument that ARGUMENTS cannot fill fails the sweep.

What is checked, GET and POST (POST with a valid CSRF token and an empty body):
- anonymous visitors are sent to /connexion (or get 401/403/404) on every non-public route;
- Binta, another member, gets 403 or 404 on Aminata's objects (also when the URL names her
  own order with Aminata's proof, invoice, photo or proforma), and 403 on staff and admin
  routes; no answer she or an anonymous visitor gets ever shows Aminata's name, e-mail, phone,
  street, message, references, document numbers or the bytes of her files;
- Aminata herself gets 403 on staff and admin routes, and 200 on her own GET pages;
- staff get 403 on admin routes and 200 on staff GET pages; on member routes they either see
  the page too ("sees") or are refused ("refused"), as recorded in ROUTES;
- admins get 200 on every back-office GET page.
POSTs by the owner, staff and admins on routes they may use are not sent (they would change
things); CSRF on every POST is tested in tests/test_app.py.

The tables are emptied after every test (tests/conftest.py), so each class is one test that
builds the objects, loops over its routes, collects every failure and asserts the list is empty.
"""
import logging
from collections.abc import Callable
from typing import NamedTuple

import pytest

from portal.extensions import limiter
from tests import access_objects
from tests.access_objects import EMAILS, World
from tests.factories import login

# --- Who may use each route ---------------------------------------------------------------


class Access(NamedTuple):
    kind: str               # public, member, staff, admin, webhook, static
    staff: str | None = None  # member routes: what staff (and admins) get, see below


PUBLIC = Access("public")
STATIC = Access("static")
WEBHOOK = Access("webhook")
STAFF = Access("staff")
ADMIN = Access("admin")
# Member routes. OWN: the visitor's own account (no id in the URL: every logged-in person gets
# their own page). OWNER_AND_STAFF: one of the owner's objects, which staff may see too (GET;
# their POSTs are refused: staff act from the back office). OWNER_ONLY: staff are refused.
OWN = Access("member", "own")
OWNER_AND_STAFF = Access("member", "sees")
OWNER_ONLY = Access("member", "refused")

ROUTES: dict[str, Access] = {
    # main
    "main.index": PUBLIC,
    "main.set_language": PUBLIC,
    "main.healthz": PUBLIC,  # for load balancers: JSON, no cookie
    "main.favicon": STATIC,  # the icon browsers ask for at the root
    # members: sign-up, login, tokens
    "members.signup": PUBLIC,
    "members.check_email": PUBLIC,
    "members.confirm": PUBLIC,
    "members.resend_confirmation": PUBLIC,
    "members.login": PUBLIC,
    "members.logout": PUBLIC,
    "members.forgot_password": PUBLIC,
    "members.reset_password": PUBLIC,
    "members.accept_invite": PUBLIC,
    "members.confirm_email_change": PUBLIC,  # the token decides, logged in or not
    # members: the account
    "members.account": OWN,
    "members.edit_profile": OWN,
    "members.change_password": OWN,
    "members.change_email": OWN,
    "members.logout_everywhere": OWN,
    "members.addresses": OWN,
    "members.new_address": OWN,
    "members.edit_address": OWNER_ONLY,
    "members.make_default_address": OWNER_ONLY,
    "members.delete_address": OWNER_ONLY,
    # messaging
    "messaging.notification_list": OWN,
    "messaging.mark_all_read": OWN,
    # requests: shops, terms, cart, member space
    "requests.shops": PUBLIC,
    "requests.shop_logo": PUBLIC,  # a visible shop's logo (a hidden shop's: staff only)
    "requests.terms": PUBLIC,
    "requests.cart": OWN,
    "requests.submit": OWN,
    "requests.dashboard": OWN,
    "requests.history": OWN,
    "requests.edit_item": OWNER_ONLY,
    "requests.remove_item": OWNER_ONLY,
    "requests.order_detail": OWNER_AND_STAFF,
    "requests.post_message": OWNER_ONLY,
    "requests.cancel": OWNER_ONLY,
    "requests.change_address": OWNER_ONLY,
    # proforma: member pages and the staff editor
    "proforma.current": OWNER_AND_STAFF,
    "proforma.version": OWNER_AND_STAFF,
    "proforma.download": OWNER_AND_STAFF,
    "proforma.invoice_pdf": OWNER_AND_STAFF,
    "proforma.ask_for_change": OWNER_ONLY,
    "proforma.edit_quote": STAFF,
    "proforma.preview_quote": STAFF,
    "proforma.save_quote_draft": STAFF,
    "proforma.quote_totals": STAFF,
    # payments: member pages and the staff review
    "payments.send_proof": OWNER_ONLY,
    "payments.proof_file": OWNER_AND_STAFF,
    "payments.receipt_pdf": OWNER_AND_STAFF,
    "payments.arrival_photo": OWNER_AND_STAFF,
    "payments.proof_queue": STAFF,
    "payments.review_proof": STAFF,
    "payments.staff_proof_file": STAFF,
    "payments.accept_proof": STAFF,
    "payments.refuse_proof": STAFF,
    # staff: back office
    "staff.home": STAFF,
    "staff.member_list": STAFF,
    "staff.outbox_list": STAFF,
    "staff.retry_message": STAFF,
    "staff.shop_list": STAFF,
    "staff.new_shop": STAFF,
    "staff.edit_shop": STAFF,
    "staff.move_shop": STAFF,
    "staff.toggle_shop": STAFF,
    "staff.order_list": STAFF,
    "staff.order_list_csv": STAFF,
    "staff.order_detail": STAFF,
    "staff.add_note": STAFF,
    "staff.cancel_order": STAFF,
    "staff.record_purchase": STAFF,
    "staff.record_shipment": STAFF,
    "staff.record_arrival": STAFF,
    "staff.correct_invoice": STAFF,
    "staff.post_message": STAFF,
    "staff.hand_over": STAFF,
    "staff.inbox": STAFF,
    "staff.file_message": STAFF,
    "staff.message_media": STAFF,
    "staff.media_as_proof": STAFF,
    "staff.pickup_lookup": STAFF,
    "staff.company_logo": STAFF,
    # staff: admin only
    "staff.staff_accounts": ADMIN,
    "staff.pickup_points": ADMIN,
    "staff.edit_pickup_point": ADMIN,
    "staff.terms": ADMIN,
    "staff.settings": ADMIN,
    "staff.payment_methods": ADMIN,
    "staff.edit_payment_method": ADMIN,
    "staff.move_payment_method": ADMIN,
    "staff.toggle_payment_method": ADMIN,
    # Twilio and files
    "twilio.incoming_message": WEBHOOK,
    "twilio.status_callback": WEBHOOK,
    "static": STATIC,
    "bootstrap.static": STATIC,
}

# --- What goes in each URL ----------------------------------------------------------------


class Of(NamedTuple):
    """One of the objects of tests/access_objects.py (a key of World.ids)."""
    name: str


# By argument name; ENDPOINT_ARGUMENTS overrides it for one route. A value that is not `Of(…)`
# is put in the URL as it is.
ARGUMENTS = {
    "order_id": Of("paid_order"),
    "proof_id": Of("pending_proof"),
    "invoice_id": Of("invoice"),
    "photo_id": Of("photo"),
    "item_id": Of("cart_item"),
    "address_id": Of("address"),
    "message_id": Of("media_message"),
    "shop_id": Of("shop"),
    "method_id": Of("method"),
    "point_id": Of("point"),
    "version": 1,
    "index": 0,
    "direction": "haut",
    "code": "fr",
    "token": "un-jeton-qui-ne-vaut-rien",
}
# The quoted order waits for the deposit: its pages (send a proof, cancel, change the address,
# ask for a change, the staff's quote editor, the WhatsApp photo as a proof) are open.
QUOTED = {"order_id": Of("quoted_order")}
ENDPOINT_ARGUMENTS = {
    "requests.cancel": QUOTED,
    "requests.change_address": QUOTED,
    "requests.post_message": QUOTED,
    "payments.send_proof": QUOTED,
    "proforma.ask_for_change": QUOTED,
    "proforma.edit_quote": QUOTED,
    "proforma.preview_quote": QUOTED,
    "proforma.save_quote_draft": QUOTED,
    "proforma.quote_totals": QUOTED,
    "payments.receipt_pdf": {"proof_id": Of("receipt_proof")},
    "staff.retry_message": {"message_id": Of("outbox_row")},
    "static": {"filename": "css/app.css"},
    "bootstrap.static": {"filename": "icons/bootstrap-icons.svg"},
}

# Redirects a page is designed to make, by endpoint (the objects are chosen so that Aminata's
# pages open; Binta has no cart, so sending her request takes her back to the cart).
DESIGNED_REDIRECTS: dict[str, str] = {"requests.submit": "/panier"}

ROLES = ("anonymous", "other member", "owner", "staff", "admin")
TALLY: dict[str, tuple[int, int]] = {}


def argument_source(endpoint: str, name: str):
    """What fills argument `name` of `endpoint`, or None when nothing is known."""
    return ENDPOINT_ARGUMENTS.get(endpoint, {}).get(name, ARGUMENTS.get(name))


def url_of(rule, world: World, **instead) -> str:
    """The URL of `rule` with Aminata's objects (`instead`: other sources for some arguments)."""
    values = {}
    for name in sorted(rule.arguments):
        source = instead.get(name) or argument_source(rule.endpoint, name)
        if source is None:
            raise LookupError(f"{rule.rule}: nothing fills <{name}> — add it to ARGUMENTS or "
                              f"ENDPOINT_ARGUMENTS in tests/test_access_sweep.py")
        values[name] = world.ids[source.name] if isinstance(source, Of) else source
    return rule.build(values, append_unknown=False)[1]


# --- What each answer may be --------------------------------------------------------------

Expect = Callable[[object], str | None]  # a response → None if right, else what is wrong


def shown(response) -> str:
    location = response.headers.get("Location")
    return f"{response.status_code}" + (f" → {location}" if location else "")


def redirect_to_login(response) -> str | None:
    if response.status_code == 302 and response.headers["Location"].startswith("/connexion"):
        return None
    if response.status_code in (401, 403, 404):
        return None
    return f"{shown(response)}, expected a redirect to /connexion (or 401/403/404)"


def refused(response) -> str | None:
    return None if response.status_code in (403, 404) else f"{shown(response)}, expected 403/404"


def forbidden(response) -> str | None:
    return None if response.status_code == 403 else f"{shown(response)}, expected 403"


def page(endpoint: str) -> Expect:
    """200, or the redirect DESIGNED_REDIRECTS records for this endpoint."""
    def check(response) -> str | None:
        if response.status_code == 200:
            return None
        designed = DESIGNED_REDIRECTS.get(endpoint)
        if designed and response.status_code == 302 and response.headers["Location"].startswith(
                designed):
            return None
        return f"{shown(response)}, expected 200"
    return check


def page_or_redirect(response) -> str | None:
    """A page, or a redirect elsewhere than login (a logged-in person on /connexion...)."""
    if response.status_code == 200 or (response.status_code == 302 and not response.headers[
            "Location"].startswith("/connexion")):
        return None
    return f"{shown(response)}, expected 200 or a redirect"


def open_to_all(response) -> str | None:
    """A public page, or a redirect it is designed to make (a token that is worth nothing
    leads to a form or to login; a logged-in person on /connexion goes home)."""
    if response.status_code in (200, 302):
        return None
    return f"{shown(response)}, expected 200 or a redirect"


def answered(response) -> str | None:
    """An empty form is answered (a page with errors, 422, or a redirect), never refused."""
    if response.status_code in (200, 302, 303, 422):
        return None
    return f"{shown(response)}, expected the form's answer (200/302/422)"


# --- The sweep ----------------------------------------------------------------------------

class Sweep:
    """Calls routes of one class as each person, and collects what went wrong."""

    def __init__(self, app, world: World, clients: dict, kind: str):
        self.world, self.clients, self.kind = world, clients, kind
        self.rules = sorted((rule for rule in app.url_map.iter_rules()
                             if ROUTES.get(rule.endpoint, Access("?")).kind == kind),
                            key=lambda rule: rule.rule)
        self.failures: list[str] = []
        self.checks = 0
        self.pairs: set[tuple[str, str]] = set()

    def routes(self):
        """(rule, URL, its methods among GET and POST) for each route of the class."""
        for rule in self.rules:
            try:
                url = url_of(rule, self.world)
            except LookupError as error:
                self.failures.append(str(error))
                continue
            yield rule, url, sorted(rule.methods & {"GET", "POST"})

    def check(self, role: str, method: str, url: str, expect: Expect) -> None:
        client = self.clients[role]
        response = client.get(url) if method == "GET" else client.post_form(url)
        self.checks += 1
        self.pairs.add((url, role))
        problem = expect(response)
        if problem:
            self.failures.append(f"{method} {url} as {role}: {problem}")
        if role in ("anonymous", "other member"):
            leaked = self.world.leaked(response.get_data())
            if leaked:
                self.failures.append(f"{method} {url} as {role} ({response.status_code}) shows "
                                     f"Aminata's data: {', '.join(leaked)}")

    def done(self, record_property) -> None:
        TALLY[self.kind] = (len(self.rules), self.checks)
        record_property("routes_swept", len(self.rules))
        record_property("checks", self.checks)
        print(f"\naccess sweep, {self.kind} routes: {len(self.rules)} routes, "
              f"{len(self.pairs)} (route, person) pairs, {self.checks} requests")
        assert self.rules, f"no {self.kind} route found"
        assert not self.failures, (f"{len(self.failures)} access problem(s) on {self.kind} "
                                   "routes:\n  " + "\n  ".join(self.failures))


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        return access_objects.build()


@pytest.fixture
def clients(app, world) -> dict:
    """A client per person: anonymous, Binta (other member), Aminata (owner), staff, admin."""
    found = {"anonymous": app.test_client()}
    for role, email in EMAILS.items():
        found[role] = app.test_client()
        assert login(found[role], email).status_code == 302, f"{role} could not log in"
    return found


@pytest.fixture
def sweep(app, world, clients):
    return lambda kind: Sweep(app, world, clients, kind)


@pytest.fixture(scope="module", autouse=True)
def summary():
    yield
    if TALLY:
        routes = sum(n for n, _ in TALLY.values())
        checks = sum(c for _, c in TALLY.values())
        print(f"\naccess sweep total: {routes} routes swept, {checks} requests "
              f"({', '.join(f'{kind} {n}' for kind, (n, _) in sorted(TALLY.items()))})")


# --- The table ----------------------------------------------------------------------------

def test_every_route_is_classified_and_its_arguments_can_be_filled(app):
    rules = list(app.url_map.iter_rules())
    endpoints = {rule.endpoint for rule in rules}
    unclassified = sorted(f"{rule.endpoint} ({rule.rule})" for rule in rules
                          if rule.endpoint not in ROUTES)
    assert not unclassified, (
        "Routes nobody classified: add each to ROUTES in tests/test_access_sweep.py (public, "
        "member, staff, admin, webhook or static):\n  " + "\n  ".join(unclassified))
    gone = sorted(ROUTES.keys() - endpoints)
    assert not gone, "ROUTES lists endpoints the app no longer has: " + ", ".join(gone)
    unfillable = sorted(f"{rule.endpoint} <{name}>" for rule in rules for name in rule.arguments
                        if argument_source(rule.endpoint, name) is None)
    assert not unfillable, "Route arguments ARGUMENTS cannot fill: " + ", ".join(unfillable)
    for rule in rules:
        access = ROUTES[rule.endpoint]
        if access.kind == "member":
            # own-account pages have no id; a page of one object says what staff get
            assert (access == OWN) == (not rule.arguments), (
                f"{rule.endpoint}: OWN is for pages without an id, OWNER_AND_STAFF or "
                "OWNER_ONLY for pages of one object")
    print(f"\naccess sweep: {len(rules)} routes, all classified")


# --- One test per class -------------------------------------------------------------------

def test_public_routes_open_to_everyone_and_show_nobody_the_owners_data(sweep,
                                                                        record_property):
    run = sweep("public")
    routes = list(run.routes())
    for _rule, url, methods in routes:
        if "GET" in methods:
            for role in ROLES:
                run.check(role, "GET", url, open_to_all)
    # Empty forms from an anonymous visitor, then Binta (logging out last: it ends her session).
    posts = sorted((rule.endpoint == "members.logout", url) for rule, url, methods in routes
                   if "POST" in methods)
    for role in ("anonymous", "other member"):
        for _logout, url in posts:
            limiter.reset()  # the login, sign-up and reset forms are rate-limited per address
            run.check(role, "POST", url, answered)
    run.done(record_property)


def test_static_files_are_served_to_everyone(sweep, record_property):
    run = sweep("static")
    for _rule, url, methods in run.routes():
        for method in methods:
            for role in ROLES:
                run.check(role, method, url, page(""))
    run.done(record_property)


def test_webhooks_refuse_every_request_without_twilios_signature(sweep, record_property,
                                                                 caplog):
    caplog.set_level(logging.ERROR, logger="portal.messaging.webhooks")  # one warning each
    run = sweep("webhook")
    for _rule, url, methods in run.routes():
        for method in methods:
            for role in ROLES:
                run.check(role, method, url, forbidden)
    run.done(record_property)


def test_member_routes_open_to_their_owner_only(sweep, record_property):
    run = sweep("member")
    for rule, url, methods in run.routes():
        access = ROUTES[rule.endpoint]
        for method in methods:
            run.check("anonymous", method, url, redirect_to_login)
            if access == OWN:  # her own account: Binta gets hers, staff theirs
                run.check("other member", method, url,
                          page(rule.endpoint) if method == "GET" else answered)
                if method == "GET":
                    run.check("owner", method, url, page(rule.endpoint))
                    for role in ("staff", "admin"):
                        run.check(role, method, url, page_or_redirect)
                continue
            run.check("other member", method, url, refused)
            if "order_id" in rule.arguments and len(rule.arguments) > 1:
                # Binta's own order with Aminata's proof, invoice, photo or proforma version
                mixed = url_of(rule, run.world, order_id=Of("other_order"))
                run.check("other member", method, mixed, refused)
            if method == "GET":
                run.check("owner", method, url, page(rule.endpoint))
            staff_see = access.staff == "sees" and method == "GET"
            for role in ("staff", "admin"):
                run.check(role, method, url, page(rule.endpoint) if staff_see else refused)
    run.done(record_property)


def test_staff_routes_refuse_members_and_open_to_staff(sweep, record_property):
    run = sweep("staff")
    for rule, url, methods in run.routes():
        for method in methods:
            run.check("anonymous", method, url, redirect_to_login)
            run.check("other member", method, url, forbidden)
            run.check("owner", method, url, forbidden)
            if method == "GET":
                run.check("staff", method, url, page(rule.endpoint))
                run.check("admin", method, url, page(rule.endpoint))
    run.done(record_property)


def test_admin_routes_refuse_members_and_staff(sweep, record_property):
    run = sweep("admin")
    for rule, url, methods in run.routes():
        for method in methods:
            run.check("anonymous", method, url, redirect_to_login)
            for role in ("other member", "owner", "staff"):
                run.check(role, method, url, forbidden)
            if method == "GET":
                run.check("admin", method, url, page(rule.endpoint))
    run.done(record_property)
