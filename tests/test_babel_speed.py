"""portal/babel_speed.py: Flask-Babel finds its per-request state more quickly and gives the
same answers — no context outside an application, French by default, English under
force_locale and back, each request with its own state."""
import flask_babel
from flask import g
from flask_babel import force_locale, get_locale, gettext

from portal import babel_speed
from tests.factories import login, make_user
from tests.requests.helpers import page_text


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


def test_wtforms_messages_follow_the_language_and_are_read_once(app, client, monkeypatch):
    """WTForms' own messages come in the page's language, from a catalogue read from disk
    once per language for the whole process (Flask-WTF read it in every request)."""
    from babel.support import Translations

    from portal.forms import wtforms_catalogue

    reads = []
    real_load = Translations.load

    def counted_load(*args, **kwargs):
        reads.append(args[:2])
        return real_load(*args, **kwargs)

    monkeypatch.setattr(Translations, "load", counted_load)
    wtforms_catalogue.cache_clear()
    with app.app_context():
        make_user("admin@agence.example", role="admin")
    login(client, "admin@agence.example")
    refusals = []
    for language in ("fr", "fr", "en", "en", "fr"):
        client.post_form(f"/langue/{language}", {"next": "/equipe/boutiques"})
        page = client.post_form("/equipe/boutiques/nouvelle", {
            "name": "Zara", "url": "https://www.zara.com/", "country": "XX"})
        refusals.append(page_text(page))
    assert ["N'est pas un choix valide." in text for text in refusals] == [
        True, True, False, False, True]
    assert ["Not a valid choice." in text for text in refusals] == [
        False, False, True, True, False]
    read = sorted(str(locales[0]) for _path, locales in reads if "wtforms" in str(_path))
    assert read == ["en", "fr"]  # once each


# --- Templates ----------------------------------------------------------------------------

def rendered(app, source: str, locale: str = "fr", **values) -> str:
    with app.test_request_context("/"), force_locale(locale):
        return app.jinja_env.from_string(source).render(**values)


def test_templates_translate_through_the_quick_functions(app):
    assert app.jinja_env.globals["_"] is babel_speed.template_gettext
    assert app.jinja_env.globals["gettext"] is babel_speed.template_gettext
    assert app.jinja_env.globals["ngettext"] is babel_speed.template_ngettext


def test_template_words_come_in_the_request_language(app):
    assert rendered(app, '{{ _("Commandes") }}') == "Commandes"
    assert rendered(app, '{{ gettext("Commandes") }}', "en") == "Orders"
    assert rendered(app, '{{ _("Pas dans le catalogue") }}', "en") == "Pas dans le catalogue"
    plural = '{{ ngettext("%(num)d commande", "%(num)d commandes", n) }}'
    assert [rendered(app, plural, "fr", n=n) for n in (1, 3)] == ["1 commande", "3 commandes"]
    assert [rendered(app, plural, "en", n=n) for n in (1, 3)] == ["1 order", "3 orders"]


def test_template_words_escape_their_values_where_the_template_escapes(app):
    source = '{{ _("Bonjour %(name)s, 100%% prêt", name=name) }}'
    assert rendered(app, source, name="<b>Awa</b>") == "Bonjour &lt;b&gt;Awa&lt;/b&gt;, 100% prêt"
    plain = "{% autoescape false %}" + source + "{% endautoescape %}"  # e-mails, WhatsApp
    assert rendered(app, plain, name="<b>Awa</b>") == "Bonjour <b>Awa</b>, 100% prêt"
    counted = '{{ ngettext("%(num)d pour %(who)s", "%(num)d pour %(who)s", 2, who=who) }}'
    assert rendered(app, counted, who="A & B") == "2 pour A &amp; B"
