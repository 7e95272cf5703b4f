"""portal/babel_speed.py: Flask-Babel finds its per-request state more quickly and gives the
same answers — no context outside an application, French by default, English under
force_locale and back, each request with its own state."""
import flask_babel
from flask import g
from flask_babel import force_locale, get_locale, gettext

from portal import babel_speed


def test_it_is_the_function_flask_babel_uses(app):
    assert flask_babel._get_current_context is babel_speed._current_context
    assert babel_speed._ORIGINAL.__module__ == "flask_babel"  # still there to replace


def test_outside_an_application_there_is_no_context():
    assert flask_babel._get_current_context() is None
    assert get_locale() is None
    assert gettext("Commandes") == "Commandes"


def test_inside_it_answers_as_flask_babel_did(app):
    with app.test_request_context("/"):
        ours = flask_babel._get_current_context()
        assert ours is babel_speed._ORIGINAL() is g._flask_babel
        assert str(get_locale()) == "fr"
        with force_locale("en"):
            assert gettext("Commandes") == "Orders"
        assert gettext("Commandes") == "Commandes"
    with app.test_request_context("/"):  # a new request: a new state
        assert flask_babel._get_current_context() is not ours
    with app.app_context():  # an application context alone (commands, the outbox worker)
        assert flask_babel._get_current_context() is babel_speed._ORIGINAL()


def test_the_catalogue_follows_the_locale_within_a_request(app):
    with app.test_request_context("/"):
        assert isinstance(flask_babel.get_domain(), babel_speed.QuickDomain)
        french = flask_babel.get_translations()
        assert flask_babel.get_translations() is french  # kept for the request
        with force_locale("en"):
            english = flask_babel.get_translations()
            assert english is not french and gettext("Commandes") == "Orders"
        assert flask_babel.get_translations() is french
        assert gettext("Commandes") == "Commandes"
