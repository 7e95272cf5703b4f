"""French by default, English complete, and each person served in their own language."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def english() -> dict:
    with CATALOGUE.open("rb") as handle:
        return {m.id: m for m in read_po(handle) if m.id}


def english_for(msgid: str) -> str:
    return english()[msgid].string


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set:
    target = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-o", str(target), "--omit-header", "."],
                   cwd=ROOT, check=True, capture_output=True)
    with target.open("rb") as handle:
        return {m.id for m in read_po(handle) if m.id}


def test_every_message_of_the_code_is_in_the_english_catalogue(extracted):
    missing = sorted(str(m) for m in extracted - set(english()))
    assert not missing, f"run `make extract-messages` and translate: {missing}"


def test_every_english_entry_is_translated_with_the_same_placeholders():
    for msgid, message in english().items():
        singular = msgid[0] if isinstance(msgid, tuple) else msgid
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            assert text, f"untranslated: {singular!r}"
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(str(msgid))), singular


def test_pages_are_french_by_default_even_for_an_english_browser(client):
    page = client.get("/inscription", headers={"Accept-Language": "en-US,en"}).get_data(True)
    assert '<html lang="fr">' in page
    assert "Créer un compte" in page


def test_the_language_chooser_switches_to_english_and_back(client):
    client.post_form("/langue/en", {"next": "/inscription"})
    page = client.get("/inscription").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert english_for("Créer mon compte") in page
    client.post_form("/langue/fr", {"next": "/inscription"})
    assert "Créer mon compte" in client.get("/inscription").get_data(as_text=True)


def test_an_unknown_language_is_refused(client):
    assert client.post_form("/langue/de").status_code == 404


def test_a_member_gets_pages_and_mail_in_the_language_of_the_account(app, client, outbox):
    with app.app_context():
        make_user("john@example.com", locale="en", full_name="John Smith")
    client.post_form("/mot-de-passe/oublie", {"email": "john@example.com"})
    [mail] = outbox.to("john@example.com", "reset")
    assert mail.subject == english_for("Choisissez un nouveau mot de passe")
    assert english_for("Bonjour %(name)s,").replace("%(name)s", "John Smith") in mail.body_text
