"""The named hostile values the corpus sends to every form, query string and upload.

Text that a person could legitimately type (markup, quotes, SQL, template syntax, emoji) is
expected back as plain text, escaped; what no form should keep (NUL and other control
characters, bidi overrides, line breaks in a one-line field, 10 000 characters) is refused.
Hostile files come from tests/payments/corpus.py (built in code, no binary in git).
"""
from tests.payments import corpus as files

# --- Text ------------------------------------------------------------------------------------
SCRIPT = "<script>alert(1)</script>"
IMG_ONERROR = '<img src=x onerror="alert(1)">'
SVG_ONLOAD = "<svg/onload=alert(1)>"
QUOTES = "O'Brien \"le grand\" ' \" `"
ATTRIBUTE_BREAKOUT = "\"><script>alert(1)</script>"
SQL = "' OR 1=1 --"
SQL_DROP = "Robert'); DROP TABLE users; --"
TEMPLATE = "{{ 7*7 }}"
FORMAT = "{nom} %(name)s %s {0}"
FONT_MARKUP = "<font size=80>x</font>"
PARA_MARKUP = "<para>"
ENTITY = "&amp; &lt;b&gt;"
EMOJI = "Sac 👜 rouge 🇨🇮"
ZERO_WIDTH = "Ro\u200bbe\u200d"
CSV_FORMULA = '=HYPERLINK("http://evil.example","clic")'
PATH_TRAVERSAL = "../../etc/passwd"
CRLF = "a\r\nBcc: x@evil.example"
LF = "ligne 1\nligne 2"
TAB = "a\tb"
NUL = "a\x00b"
BELL = "a\x07b"
ESCAPE = "\x1b[31mrouge"
RTL_OVERRIDE = "\u202egnp.exe"
RTL_ISOLATE = "a\u2067b"
LONG = "A" * 10_000
LONG_WORDS = "mot " * 2_500
BLANK = "   "

# What the single-line and multi-line text fields accept as plain text.
PLAIN = {"script": SCRIPT, "img-onerror": IMG_ONERROR, "svg-onload": SVG_ONLOAD,
         "quotes": QUOTES, "attribute-breakout": ATTRIBUTE_BREAKOUT, "sql": SQL,
         "sql-drop": SQL_DROP, "template": TEMPLATE, "format": FORMAT,
         "font-markup": FONT_MARKUP, "para-markup": PARA_MARKUP, "entity": ENTITY,
         "emoji": EMOJI, "zero-width": ZERO_WIDTH, "csv-formula": CSV_FORMULA,
         "path": PATH_TRAVERSAL}
# Refused by every text field (control characters and bidi overrides).
CONTROL = {"nul": NUL, "bell": BELL, "escape": ESCAPE, "rtl-override": RTL_OVERRIDE,
           "rtl-isolate": RTL_ISOLATE}
# Line breaks: refused on one line, kept in a text area.
BREAKS = {"crlf": CRLF, "lf": LF, "tab": TAB}
TOO_LONG = {"10000-chars": LONG, "10000-chars-words": LONG_WORDS}

# --- Numbers ---------------------------------------------------------------------------------
AMOUNTS = {"negative": "-1", "zero": "0", "overflow": "1e309", "huge": "99999999999999999999",
           "alpha": "abc", "list": "1,2,3", "nan": "NaN", "infinity": "Infinity",
           "too-precise": "1,999", "hex": "0x10", "script": SCRIPT, "nul": "1\x00"}
QUANTITIES = {"negative": "-1", "zero": "0", "hundred": "100", "overflow": "1e309",
              "huge": "99999999999999999999", "alpha": "abc", "decimal": "1.5", "nan": "NaN",
              "infinity": "Infinity", "list": "1,2,3", "nul": "1\x00"}
DATES = {"impossible": "2026-02-30", "alpha": "abc", "far-future": "9999-12-31",
         "year-one": "0001-01-01", "french-order": "31/12/2026", "script": SCRIPT}
# Ids: another member's row, a missing row, and what is no id at all.
MISSING_ID = "987654"
IDS = {"missing": MISSING_ID, "alpha": "abc", "negative": "-1", "zero": "0",
       "huge": "99999999999999999999", "sql": "1 OR 1=1"}

# --- Addresses and links ---------------------------------------------------------------------
EMAILS = {"script": f"{SCRIPT}@example.com", "crlf-bcc": "awa@example.com\r\nBcc: x@evil.example",
          "nul": "awa\x00@example.com", "no-at": "awa.example.com", "long": "a" * 250 + "@x.fr",
          "rtl": "\u202eawa@example.com", "quotes": "\"a b\"@example.com'"}
PHONES = {"alpha": "abc", "script": SCRIPT, "too-short": "123", "sql": SQL,
          "crlf": "+2250701020304\r\nX", "nul": "+225070102\x000304"}
URLS = {"javascript": "javascript:alert(1)", "javascript-case": "JaVaScRiPt:alert(1)",
        "data": "data:text/html,<script>alert(1)</script>", "vbscript": "vbscript:msgbox(1)",
        "no-scheme": "www.example.com", "ftp": "ftp://example.com/x",
        "broken-ipv6": "http://[abc", "space": "http://exa mple.com", "crlf": "http://a.fr/\r\nx",
        "nul": "http://a.fr/\x00", "long": "https://a.fr/" + "x" * 3000}


def hostile_files():
    """(name, bytes builder, French message) of every hostile upload."""
    return [(case.name.replace("_", "-"), case.build, case.message) for case in files.HOSTILE]


def png() -> bytes:
    return files.image_bytes(files.photo((64, 48)), "PNG")
