"""Small factories: accounts ready to use, in the state a test needs."""
from portal.clock import utcnow
from portal.extensions import db
from portal.members.models import Address, User

PASSWORD = "Baobab-sous-la-pluie-42"


def make_user(email: str = "awa@example.com", *, role: str = "member", confirmed: bool = True,
              password: str = PASSWORD, **fields) -> User:
    values = {"full_name": "Awa Koné", "phone": "+2250701020304",
              "preferred_channel": "whatsapp", "locale": "fr"} | fields
    user = User(email=email, role=role, confirmed_at=utcnow() if confirmed else None, **values)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def make_address(user: User, label: str = "Maison", default: bool = True, **fields) -> Address:
    values = {"recipient": user.full_name, "line1": "Rue des Jardins 12", "city": "Abidjan",
              "country": "CI"} | fields
    address = Address(user=user, label=label, is_default=default, **values)
    db.session.add(address)
    db.session.commit()
    return address


def login(client, email: str = "awa@example.com", password: str = PASSWORD, **extra):
    return client.post_form("/connexion", {"email": email, "password": password, **extra})
