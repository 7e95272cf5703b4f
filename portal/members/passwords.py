"""The password rule, in one place: long enough and not a common password."""
import re
from functools import lru_cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

MIN_LENGTH = 10
MAX_LENGTH = 128
_TAIL = re.compile(r"[\d\W_]+$")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def is_common(password: str) -> bool:
    lowered = password.lower()
    stem = _TAIL.sub("", lowered)
    return lowered in common_passwords() or stem in common_passwords() or len(set(lowered)) <= 2


def password_problem(password: str, email: str | None = None):
    """Why `password` is refused (a lazy French message), or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _l("Le mot de passe doit contenir au moins %(n)d caractères.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Le mot de passe ne doit pas dépasser %(n)d caractères.", n=MAX_LENGTH)
    local_part = (email or "").split("@")[0].lower()
    if is_common(password) or (local_part and password.lower().startswith(local_part)):
        return _l("Ce mot de passe est trop courant ou trop facile à deviner ; choisissez-en un autre.")
    return None
