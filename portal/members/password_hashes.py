"""Password hashes: Argon2id, the first choice of OWASP's password storage guidance, at its
recommended minimum (19 MiB of memory, 2 passes, 1 lane): about 16 ms of CPU per check on the
benchmark machine, where werkzeug's default scrypt (N=2^15) took about 60 ms.

Hashes written by earlier versions of the portal (werkzeug's `scrypt:` or `pbkdf2:`) are still
accepted; `needs_rehash` tells the caller to replace one after a successful check.
"""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

_ARGON2 = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Checked against when nobody has the address typed, so that the answer takes as long.
_DECOY = _ARGON2.hash("portal-no-such-account")


def hash_password(password: str) -> str:
    return _ARGON2.hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored` (False for no hash or a damaged one)."""
    if not stored:
        return False
    if not stored.startswith("$argon2"):
        return check_password_hash(stored, password)
    try:
        return _ARGON2.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """A hash of an earlier kind or with weaker settings than today's."""
    return not stored.startswith("$argon2id$") or _ARGON2.check_needs_rehash(stored)


def spend_time_as_if_checking(password: str) -> None:
    """The work of a real check, for an address no account has (no timing difference)."""
    verify(_DECOY, password)
