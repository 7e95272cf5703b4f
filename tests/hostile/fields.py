"""Cases for one field, by kind: free text on one line or several, amounts, quantities,
choices, ids, dates, e-mail addresses, phone numbers, links and files. Each generator names
the outcome the portal owes each value (see harness.py) and the French message of a refusal."""
from tests.hostile import corpus as c
from tests.hostile.harness import Accepted, Case, Refused

FORBIDDEN = "Ce texte contient des caractères non autorisés."
ONE_LINE = "Ce champ doit tenir sur une seule ligne."
REQUIRED = "Ce champ est obligatoire."
INVALID_EMAIL = "Adresse e-mail invalide."
INVALID_PHONE = "Numéro de téléphone invalide"
WEB_LINK = "Indiquez un lien qui commence par http:// ou https://."
BAD_DATE = "Date invalide : utilisez le format AAAA-MM-JJ."
OUT_OF_RANGE_DATE = "Date hors limites."

CORE = ("script", "img-onerror", "quotes", "font-markup")
CONTROL = ("nul", "rtl-override")


def too_long(n: int) -> str:
    return f"{n} caractères au maximum."


def at_limit(max_len: int, multiline: bool) -> dict:
    """The longest texts the field takes: one unbroken word, and (in a text area) one short
    line after another; both must fit the column and the documents' layout."""
    values = {"at-limit-word": "W" * max_len}
    if multiline:
        values["at-limit-lines"] = "l\n" * (max_len // 2)
    return values


def text(form, field, max_len: int, *, multiline=False, plain=CORE, control=CONTROL,
         breaks=("crlf",), long=("10000-chars",), blank=None, overrides=None, limit=True,
         **options):
    """Free text: plain values kept as typed, control characters refused, line breaks refused
    on one line and kept in a text area, 10 000 characters refused past the field's limit,
    the longest text allowed kept. `blank`: "required" (refused) or the value a blank
    optional field keeps."""
    longest = at_limit(max_len, multiline) if limit else {}
    outcomes = {name: Accepted() for name in (*plain, *longest)}
    outcomes |= {name: Refused(FORBIDDEN) for name in control}
    outcomes |= {name: Accepted() if multiline else Refused(ONE_LINE) for name in breaks}
    outcomes |= {name: Refused(too_long(max_len)) if max_len < len(c.TOO_LONG[name].strip())
                 else Accepted() for name in long}
    values = c.PLAIN | c.CONTROL | c.BREAKS | c.TOO_LONG | longest
    if blank is not None:
        values["blank"] = c.BLANK
        outcomes["blank"] = Refused(REQUIRED) if blank == "required" else Accepted(blank)
    outcomes |= overrides or {}
    return [Case(form, field, name, values.get(name), outcome, **options)
            for name, outcome in outcomes.items()]


def values(form, field, named: dict, outcome, overrides=None, **options):
    """The same outcome for every value of `named` (e.g. c.AMOUNTS refused with one message),
    except the values given their own in `overrides` (a name may also be new there, with
    `(value, outcome)`)."""
    cases = []
    for name, value in named.items():
        own = (overrides or {}).get(name, outcome)
        if own is not None:
            cases.append(Case(form, field, name, value, own, **options))
    for name, own in (overrides or {}).items():
        if name not in named and own[1] is not None:
            cases.append(Case(form, field, name, own[0], own[1], **options))
    return cases


def choice(form, field, message=None, extra=(), **options):
    """A choice outside the list: refused."""
    named = {"unknown": "zz-unknown", "script": c.SCRIPT, "sql": c.SQL, "nul": "fr\x00"}
    named |= dict(extra)
    return values(form, field, named, Refused(message), **options)


def emails(form, field, overrides=None, **options):
    outcomes = {"script": Refused(INVALID_EMAIL), "crlf-bcc": Refused(ONE_LINE),
                "nul": Refused(FORBIDDEN), "no-at": Refused(INVALID_EMAIL),
                "long": Refused(too_long(254)), "rtl": Refused(FORBIDDEN),
                "quotes": Refused(INVALID_EMAIL)} | (overrides or {})
    return [Case(form, field, name, c.EMAILS[name], outcome, **options)
            for name, outcome in outcomes.items() if outcome is not None]


def phones(form, field, **options):
    outcomes = {"alpha": Refused(INVALID_PHONE), "script": Refused(INVALID_PHONE),
                "too-short": Refused(INVALID_PHONE), "sql": Refused(INVALID_PHONE),
                "crlf": Refused(ONE_LINE), "nul": Refused(FORBIDDEN)}
    return [Case(form, field, name, c.PHONES[name], outcome, **options)
            for name, outcome in outcomes.items()]


def links(form, field, max_len=2048, names=None, **options):
    """Links: only http(s) with a host; a hostile path or query is kept as text."""
    outcomes = {name: Refused(WEB_LINK) for name in c.URLS}
    outcomes |= {"crlf": Refused(ONE_LINE), "nul": Refused(FORBIDDEN),
                 "long": Refused(too_long(max_len))}
    cases = [Case(form, field, name, c.URLS[name], outcome, **options)
             for name, outcome in outcomes.items() if names is None or name in names]
    kept = {"script-in-query": "https://shop.example.com/?q=<script>alert(1)</script>",
            "quote-in-path": 'https://shop.example.com/a"onmouseover="alert(1)'}
    return cases + [Case(form, field, name, value, Accepted(), **options)
                    for name, value in kept.items()]


def dates(form, field, overrides=None, **options):
    """Days: unreadable ones refused, and those outside 1970-2999 (`overrides` as values())."""
    outcomes = {"far-future": Refused(OUT_OF_RANGE_DATE),
                "year-one": Refused(OUT_OF_RANGE_DATE)} | (overrides or {})
    return values(form, field, c.DATES, Refused(BAD_DATE), overrides=outcomes, **options)


def files(form, field, message=None, overrides=None, named=False, **options):
    """Every hostile upload of tests/payments/corpus.py, refused with its own message (or
    `message` for all; `named`: after the file's name, as for several files)."""
    cases = []
    for name, build, own in c.hostile_files():
        why = message or own
        outcome = (overrides or {}).get(name, Refused(f"fichier.png : {why}" if named else why))
        if outcome is not None:
            cases.append(Case(form, field, name, build, outcome, **options))
    return cases
