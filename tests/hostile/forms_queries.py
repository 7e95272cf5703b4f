"""Query strings: the staff order list and its CSV export (OrderFilterForm), the member
search, the outbox filter, the member's history search and the page numbers of every list.
A search keeps what is typed and shows it back escaped; a filter that cannot be read is
explained in French or left out; nothing is ever stored."""
from tests.hostile import corpus as c
from tests.hostile import fields as f
from tests.hostile.harness import Accepted, Form, Ignored, Refused

NO_CHOICE = "Ce choix n'existe pas."
NO_MEMBER = "Ce membre n'existe pas"

ORDERS = Form("order_filter", "OrderFilterForm", "staff", "/equipe/commandes", lambda w: {},
              method="GET")
CSV = Form("order_csv", "OrderFilterForm", "staff", "/equipe/commandes.csv", lambda w: {},
           method="GET")
MEMBERS = Form("member_search", "query", "staff", "/equipe/membres", lambda w: {}, method="GET")
OUTBOX = Form("outbox_filter", "query", "staff", "/equipe/envois", lambda w: {}, method="GET")
HISTORY = Form("history_search", "query", "owner", "/commandes/historique", lambda w: {},
               method="GET")
NOTIFICATIONS = Form("notifications", "query", "owner", "/notifications", lambda w: {},
                     method="GET")

SEARCH = {"script": c.SCRIPT, "quotes": c.ATTRIBUTE_BREAKOUT, "sql": c.SQL, "like": "%_%",
          "emoji": c.EMOJI}
UNREADABLE = {"nul": c.NUL, "rtl-override": c.RTL_OVERRIDE, "long": c.LONG, "crlf": c.CRLF}
PAGES = {"alpha": "abc", "negative": "-1", "zero": "0", "huge": c.IDS["huge"],
         "overflow": "1e309", "nul": "1\x00"}

CASES = [
    *f.values(ORDERS, "statut", {"script": c.SCRIPT, "unknown": "hack", "draft": "draft",
                                 "nul": "submitted\x00"}, Refused(NO_CHOICE)),
    *f.dates(ORDERS, "du"),
    *f.values(ORDERS, "au", {"before-start": "2026-01-01"},
              Refused("La date de fin précède la date de début."),
              extra={"du": "2026-02-01"}),
    *f.values(ORDERS, "member", {"other-member-is-fine": "{owner}", **c.IDS},
              Refused(NO_MEMBER), overrides={"missing": Ignored(),
                                             "other-member-is-fine": Ignored()}),
    *f.values(ORDERS, "q", SEARCH, Accepted()),
    *f.values(ORDERS, "q", UNREADABLE, Refused(f.FORBIDDEN),
              overrides={"long": Refused(f.too_long(100)), "crlf": Refused(f.ONE_LINE)}),
    *f.values(ORDERS, "tri", {"script": c.SCRIPT, "unknown": "prix"}, Refused(NO_CHOICE)),
    *f.values(ORDERS, "page", PAGES, Ignored()),
    *f.values(CSV, "q", {**SEARCH, **UNREADABLE}, Ignored()),
    *f.values(CSV, "statut", {"script": c.SCRIPT, "nul": "submitted\x00"}, Ignored()),
    *f.values(CSV, "du", {"impossible": "2026-02-30", "year-one": "0001-01-01"}, Ignored()),
    *f.values(CSV, "member", {"huge": c.IDS["huge"], "alpha": "abc"}, Ignored()),
    *f.values(MEMBERS, "q", SEARCH, Accepted()),
    *f.values(MEMBERS, "q", UNREADABLE, Ignored()),
    *f.values(MEMBERS, "page", PAGES, Ignored()),
    *f.values(OUTBOX, "statut", {"script": c.SCRIPT, "nul": "failed\x00", "long": c.LONG},
              Ignored()),
    *f.values(OUTBOX, "page", PAGES, Ignored()),
    *f.values(HISTORY, "ref", {"script": c.SCRIPT[:30], "quotes": c.ATTRIBUTE_BREAKOUT,
                               "like": "%_%"}, Accepted()),
    *f.values(HISTORY, "ref", UNREADABLE, Ignored()),
    *f.values(HISTORY, "page", PAGES, Ignored()),
    *f.values(NOTIFICATIONS, "page", PAGES, Ignored()),
]
