"""When the database cannot be reached, every page answers 503 with a page in the visitor's
language asking to retry (a Retry-After header for machines), never a bare server error; the
visitor stays signed in and finds everything again once the database is back."""
import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from portal import create_app
from portal.extensions import db
from tests.factories import login, make_user


@pytest.fixture
def outage(app):
    """A switch: while on, every new database connection fails as when the server has gone."""
    state = {"down": False}

    def connect(dialect, connection_record, cargs, cparams):
        if state["down"]:
            raise dialect.loaded_dbapi.OperationalError("could not connect: server gone (test)")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "do_connect", connect)

    def switch(down: bool):
        state["down"] = down
        with app.app_context():
            db.session.remove()
            engine.dispose()  # pooled connections would still answer

    yield switch
    switch(False)
    event.remove(engine, "do_connect", connect)


def assert_unavailable(response, text: str, retry_after: str = "30"):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == retry_after
    page = response.get_data(as_text=True)
    assert text in page
    assert "Traceback" not in page and "OperationalError" not in page
    return page


def test_a_signed_in_member_sees_the_retry_page_and_is_still_signed_in_after(app, client, outage):
    with app.app_context():
        make_user("awa@example.com")
    assert login(client, "awa@example.com").status_code == 302
    outage(True)
    page = assert_unavailable(client.get("/commandes?page=2"),
                              "Service momentanément indisponible")
    assert 'href="/commandes?page=2"' in page  # "Réessayer" asks for the same page again
    assert "été modifié. Réessayez dans quelques instants." in page
    outage(False)
    assert client.get("/commandes").status_code == 200, "still signed in"


def test_a_form_sent_during_the_outage_changes_nothing_and_can_be_sent_again(app, client,
                                                                             outage):
    with app.app_context():
        make_user("awa@example.com")
    outage(True)
    # a rate-limited form: Flask-Limiter's own Retry-After (its window) is the one sent
    page = assert_unavailable(login(client, "awa@example.com"), "Réessayer", retry_after="600")
    assert 'href="/connexion"' in page
    outage(False)
    assert login(client, "awa@example.com").status_code == 302


def test_the_page_follows_the_chosen_language(app, client, outage):
    with app.app_context():
        make_user("awa@example.com")
    assert login(client, "awa@example.com").status_code == 302
    client.post_form("/langue/en", {"next": "/"})
    outage(True)
    assert_unavailable(client.get("/compte"), "Service temporarily unavailable")


def test_staff_pages_too(app, client, outage):
    with app.app_context():
        make_user("staff@example.com", role="staff")
    assert login(client, "staff@example.com").status_code == 302
    outage(True)
    assert_unavailable(client.get("/equipe/commandes"), "Service momentanément indisponible")


def test_a_connection_lost_in_the_middle_of_a_request_is_a_503_too(app, monkeypatch):
    """The server went away during a statement (SQLAlchemy invalidates the connection): 503;
    the same statement failing for another reason (here a missing table) stays a 500."""
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    other = create_app({"TESTING": True, "SECRET_KEY": app.config["SECRET_KEY"],
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "PUBLIC_BASE_URL": "http://localhost"})

    def failing(invalidated: bool):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"),
                               connection_invalidated=invalidated)

    other.add_url_rule("/perdue", "lost", lambda: failing(True))
    other.add_url_rule("/erreur", "error", lambda: failing(False))
    try:
        assert_unavailable(other.test_client().get("/perdue"), "Service momentanément")
        assert other.test_client().get("/erreur").status_code == 500
    finally:
        with other.app_context():
            db.engine.dispose()


def test_a_missing_page_during_the_outage_is_the_retry_page_too(app, client, outage):
    """The 404 page would load the account for its menu: the outage page is shown instead,
    and its "Réessayer" never leads off the site (a path starting with //)."""
    with app.app_context():
        make_user("awa@example.com")
    assert login(client, "awa@example.com").status_code == 302
    outage(True)
    page = assert_unavailable(client.get("/n-existe-pas"), "Service momentanément")
    assert 'href="/n-existe-pas"' in page
    off_site = client.get("/", environ_overrides={"PATH_INFO": "//ailleurs.example/x"})
    page = assert_unavailable(off_site, "Service momentanément")
    assert 'href="/ailleurs.example/x"' in page
