"""Password hashes: Argon2id at OWASP's minimum settings for new passwords; hashes of the
earlier kind (werkzeug's scrypt, pbkdf2) still let their owner in and are replaced by Argon2id
at that login, without closing their other sessions; a damaged hash refuses, never a 500."""
import pytest
from werkzeug.security import generate_password_hash

from portal.extensions import db
from portal.members import password_hashes
from tests.factories import PASSWORD, login, make_user
from tests.members.helpers import user_by_email

EMAIL = "awa@example.com"


def test_a_new_password_is_hashed_with_argon2id_at_owasp_settings():
    stored = password_hashes.hash_password("Un-mot-de-passe-solide")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert password_hashes.verify(stored, "Un-mot-de-passe-solide")
    assert not password_hashes.verify(stored, "Un-mot-de-passe-solidE")
    assert not password_hashes.needs_rehash(stored)
    assert stored != password_hashes.hash_password("Un-mot-de-passe-solide")  # salted


@pytest.mark.parametrize("method", ["scrypt", "pbkdf2:sha256"])
def test_an_older_hash_lets_its_owner_in_and_is_replaced_at_login(app, client, method):
    with app.app_context():
        user = make_user(EMAIL)
        user.password_hash = generate_password_hash(PASSWORD, method=method)
        db.session.commit()
        token = user.session_token
    assert login(client, EMAIL, "Pas-le-bon-mot-de-passe").status_code == 200
    assert user_by_email(app, EMAIL).password_hash.startswith(method)  # a refusal changes nothing

    elsewhere = app.test_client()
    assert login(elsewhere, EMAIL).status_code == 302
    after = user_by_email(app, EMAIL)
    assert after.password_hash.startswith("$argon2id$")
    assert after.session_token == token  # the password did not change: no session is closed

    assert login(client, EMAIL).status_code == 302  # the new hash works
    assert elsewhere.get("/commandes").status_code == 200
    assert user_by_email(app, EMAIL).password_hash == after.password_hash  # replaced once


@pytest.mark.parametrize("stored", [
    "$argon2id$v=19$m=19456,t=2,p=1$abc", "$argon2id$nonsense", "scrypt:32768:8:1$only-salt",
    "pas un hachage", "",
])
def test_a_damaged_hash_refuses_the_login_in_french_without_an_error(app, client, stored):
    with app.app_context():
        user = make_user(EMAIL)
        user.password_hash = stored
        db.session.commit()
    response = login(client, EMAIL)
    assert response.status_code == 200
    assert "incorrect" in response.get_data(as_text=True)
    assert user_by_email(app, EMAIL).password_hash == stored
