"""Account forms: sign-up, login, confirmation and reset e-mails, new password, profile,
password and e-mail changes, the address book, the language chooser."""
from sqlalchemy import select

from portal.extensions import db
from portal.members.models import Address, User
from tests.factories import PASSWORD
from tests.hostile import corpus as c
from tests.hostile import fields as f
from tests.hostile import probes
from tests.hostile.harness import SAME, Accepted, Csv, Form, Ignored, Mail, Page, Pdf, Refused
from tests.hostile.world import OWNER, OWNER_PHONE

NEW_EMAIL = "nouvelle@example.com"
WRONG_LOGIN = "Adresse e-mail ou mot de passe incorrect."
BAD_LINK = "Ce lien n'est pas valide, a expiré ou a déjà servi."
NAME_LENGTH = "Entre 2 et 120 caractères."
PASSWORD_TOO_LONG = "Le mot de passe ne doit pas dépasser 128 caractères."
PASSWORD_TOO_SHORT = "Le mot de passe doit contenir au moins 10 caractères."
NOT_SAME = "Les deux mots de passe ne correspondent pas."
STRONG = "Baobab-<script>alert(1)</script>"


def by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def profile_of(email: str):
    def read(world) -> dict:
        person = by_email(email)
        return {name: getattr(person, name) for name in (
            "full_name", "phone", "company_name", "company_registration", "email")}
    return read


def newest_address(world) -> dict:
    row = db.session.scalar(select(Address).where(Address.user_id == world.owner)
                            .order_by(Address.id.desc()).limit(1))
    return {name: getattr(row, name) for name in (
        "label", "recipient", "line1", "line2", "postal_code", "city", "phone", "instructions")}


def password_is(email: str):
    def read(world) -> dict:
        person = by_email(email)
        return {"password": STRONG if person.check_password(STRONG) else "(unchanged)"}
    return read


SIGNUP = Form(
    "signup", "SignupForm", "anon", "/inscription",
    lambda w: {"full_name": "Nouvelle Membre", "phone": "+2250701020399",
               "preferred_channel": "email", "locale": "fr", "company_name": "",
               "company_registration": "", "email": NEW_EMAIL, "password": PASSWORD,
               "password_confirm": PASSWORD},
    stored=profile_of(NEW_EMAIL),
    echoes=(Mail(), Page("staff", "/equipe/membres?q=nouvelle")))
LOGIN = Form("login", "LoginForm", "anon", "/connexion",
             lambda w: {"email": OWNER, "password": PASSWORD}, query_fields=("next",))
FORGOT = Form("forgot", "EmailOnlyForm", "anon", "/mot-de-passe/oublie",
              lambda w: {"email": OWNER})
RESEND = Form("resend", "EmailOnlyForm", "anon", "/confirmation/renvoyer",
              lambda w: {"email": OWNER})
RESET = Form("reset", "NewPasswordForm", "anon", "/mot-de-passe/nouveau/{reset_token}",
             lambda w: {"password": STRONG, "password_confirm": STRONG},
             stored=password_is(OWNER))
PROFILE = Form(
    "profile", "ProfileForm", "owner", "/compte/profil",
    lambda w: {"full_name": "Awa Koné", "phone": OWNER_PHONE, "preferred_channel": "email",
               "locale": "fr", "company_name": "", "company_registration": "",
               "notify_email": "y"},
    stored=profile_of(OWNER),
    echoes=(Page("owner", "/compte/profil"), Pdf(probes.preview_of("submitted_order"))))
ON_STAFF_PAGE = Page("staff", "/equipe/commandes/{submitted_order}")
PASSWORD_CHANGE = Form(
    "password", "ChangePasswordForm", "owner", "/compte/mot-de-passe",
    lambda w: {"current_password": PASSWORD, "password": STRONG, "password_confirm": STRONG},
    stored=password_is(OWNER))
INVITE = Form("invite", "NewPasswordForm", "anon", "/invitation/{invite_token}",
              lambda w: {"password": STRONG, "password_confirm": STRONG})
EMAIL_CHANGE = Form("email_change", "EmailChangeForm", "owner", "/compte/e-mail",
                    lambda w: {"email": NEW_EMAIL, "current_password": PASSWORD})
ADDRESS = Form(
    "address", "AddressForm", "owner", "/compte/adresses/nouvelle",
    lambda w: {"label": "Boutique", "recipient": "Awa Koné", "line1": "Rue du Commerce 4",
               "line2": "", "postal_code": "", "city": "Abidjan", "country": "CI",
               "phone": "", "instructions": ""},
    stored=newest_address, query_fields=("next",),
    echoes=(Page("owner", "/compte/adresses"), Pdf(probes.newest_address_pdf)))
ADDRESS_DELETE = Form("address_delete", "route", "owner", "/compte/adresses/{address}/supprimer",
                      lambda w: {})
ADDRESS_DEFAULT = Form("address_default", "route", "owner",
                       "/compte/adresses/{address}/par-defaut", lambda w: {})
ADDRESS_EDIT = Form(
    "address_edit", "AddressForm", "owner", "/compte/adresses/{address}",
    lambda w: {"label": "Maison", "recipient": "Awa Koné", "line1": "Rue des Jardins 12",
               "line2": "", "postal_code": "", "city": "Abidjan", "country": "CI",
               "phone": "", "instructions": "", "make_default": "y"})
LANGUAGE = Form("language", "query", "owner", "/langue/{code}", lambda w: {})

ADDRESS_TEXT = [("recipient", 120), ("line1", 200), ("line2", 200), ("city", 100)]

CASES = [
    *f.text(SIGNUP, "full_name", 120, overrides={"10000-chars": Refused(NAME_LENGTH)}),
    *f.text(SIGNUP, "company_name", 160, plain=("script", "csv-formula"), breaks=(), echoes=()),
    *f.emails(SIGNUP, "email"),
    *f.phones(SIGNUP, "phone"),
    *f.choice(SIGNUP, "preferred_channel"),
    *f.choice(SIGNUP, "locale", extra={"traversal": "../en"}),
    *f.values(SIGNUP, "password", {"nul": "Baobab-sous\x00-la-pluie", "long": "B" * 10_000,
                                   "short": "<b>x</b>", "not-confirmed": STRONG},
              Refused(f.FORBIDDEN), overrides={"long": Refused(PASSWORD_TOO_LONG),
                                               "not-confirmed": Refused(NOT_SAME),
                                               "short": Refused(PASSWORD_TOO_SHORT)}),
    *f.emails(LOGIN, "email"),
    *f.values(LOGIN, "password", {"sql": c.SQL, "nul": "a\x00b", "long": c.LONG,
                                  "script": c.SCRIPT},
              Refused(WRONG_LOGIN), overrides={"nul": Refused(f.FORBIDDEN),
                                              "long": Refused(f.too_long(128))}),
    *f.values(LOGIN, "next", {"other-site": "//evil.example", "javascript": "javascript:alert(1)",
                              "backslash": "/\\evil.example", "absolute": "http://evil.example/",
                              "crlf": "/compte\r\nLocation: http://evil.example"}, Ignored(),
              follow=False),
    *f.emails(FORGOT, "email", overrides={"script": None, "quotes": None, "no-at": None}),
    *f.emails(RESEND, "email", overrides={"script": None, "quotes": None, "long": None,
                                          "rtl": None}),
    *f.values(RESET, "password", {"nul": "Baobab-sous\x00-la-pluie", "long": "B" * 10_000,
                                  "script": STRONG},
              Refused(f.FORBIDDEN), overrides={"long": Refused(PASSWORD_TOO_LONG),
                                               "script": Accepted()},
              extra={"password_confirm": SAME}),
    *f.values(RESET, "reset_token", {"script": c.SCRIPT, "sql": c.SQL, "long": "x" * 5000},
              Refused(BAD_LINK), follow=True),
    *f.text(PROFILE, "full_name", 120, plain=c.PLAIN,
            overrides={"10000-chars": Refused(NAME_LENGTH)},
            echoes=(*PROFILE.echoes, ON_STAFF_PAGE, Csv("staff", "/equipe/commandes.csv"),
                    Mail(probes.staff_writes("submitted_order")))),
    *f.text(PROFILE, "company_name", 160, plain=("script", "font-markup", "para-markup",
                                                 "entity"), echoes=(*PROFILE.echoes,
                                                                    ON_STAFF_PAGE)),
    *f.text(PROFILE, "company_registration", 60, plain=("script", "sql")),
    *f.choice(PROFILE, "preferred_channel", extra={"sms": "sms"}),
    *f.phones(PROFILE, "phone"),
    *f.choice(PROFILE, "locale"),
    *f.values(PASSWORD_CHANGE, "password", {"script": STRONG, "nul": "Baobab-sous\x00-la-pluie",
                                            "long": "B" * 10_000},
              Refused(f.FORBIDDEN), overrides={"script": Accepted(),
                                               "long": Refused(PASSWORD_TOO_LONG)},
              extra={"password_confirm": SAME}),
    *f.values(PASSWORD_CHANGE, "current_password", {"sql": c.SQL, "nul": "a\x00b"},
              Refused("Le mot de passe actuel est incorrect."),
              overrides={"nul": Refused(f.FORBIDDEN)}),
    *f.emails(EMAIL_CHANGE, "email"),
    *f.values(EMAIL_CHANGE, "current_password", {"nul": "a\x00b", "sql": c.SQL},
              Refused("Le mot de passe actuel est incorrect."),
              overrides={"nul": Refused(f.FORBIDDEN)}),
    *f.values(INVITE, "invite_token", {"script": c.SCRIPT, "reset-token": "{reset_token}"},
              Refused(BAD_LINK), follow=True),
    *[case for field, size in ADDRESS_TEXT
      for case in f.text(ADDRESS, field, size, blank="required" if field != "line2" else None,
                         plain=("script", "img-onerror", "quotes", "font-markup", "emoji"))],
    *f.text(ADDRESS, "label", 60, echoes=(Page("owner", "/compte/adresses"),)),
    *f.text(ADDRESS, "instructions", 500, multiline=True, breaks=("crlf", "lf")),
    *f.text(ADDRESS, "postal_code", 20, plain=("sql",), long=()),
    *f.phones(ADDRESS, "phone"),
    *f.choice(ADDRESS, "country", extra={"lowercase": "ci", "three-letters": "CIV"}),
    *f.values(ADDRESS_EDIT, "address", {"other-member": "{other_address}", "missing": c.MISSING_ID},
              Refused(status=404)),
    *f.values(ADDRESS, "next", {"other-site": "//evil.example", "absolute": "https://evil.example/"},
              Ignored()),
    *f.values(ADDRESS_DELETE, "address", {"other-member": "{other_address}",
                                          "missing": c.MISSING_ID}, Refused(status=404)),
    *f.values(ADDRESS_DEFAULT, "address", {"other-member": "{other_address}",
                                           "missing": c.MISSING_ID}, Refused(status=404)),
    *f.values(LANGUAGE, "next", {"other-site": "//evil.example",
                                 "javascript": "javascript:alert(1)",
                                 "backslash": "/\\evil.example"}, Ignored(), ids={"code": "fr"}),
    *f.values(LANGUAGE, "code", {"script": c.SCRIPT, "traversal": "..%2Fen", "unknown": "xx"},
              Refused(status=404)),
]
