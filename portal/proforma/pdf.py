"""Proforma PDFs, drawn with reportlab (platypus) in DejaVu Sans.

`render_proforma(doc)` turns a proforma snapshot (the `content` of a Proforma, or the same
dict built for a preview) into PDF bytes. The snapshot is a plain dict:

    {
      "kind": "proforma",
      "reference": "DEM-2026-00042",          # the order's reference
      "number": "PF-2026-00007", "version": 2, # "number" is None on an unsaved preview
      "issued_on": "2026-11-26",               # ISO dates
      "valid_until": "2026-12-03",
      "currency": "XOF", "locale": "fr_CI",   # amounts formatted with portal.money.format_money
      "company": {"name": str, "address": str|None, "phone": str|None, "whatsapp": str|None,
                  "email": str|None, "identifiers": [["RCCM", "CI-ABJ-…"], …],
                  "legal_mentions": str|None, "logo_key": str|None},   # logo: portal.storage
      "customer": {"name": str, "email": str, "phone": str|None, "company_name": str|None,
                   "company_registration": str|None, "address": str|None},  # address: lines
      "delivery": {"mode": "pickup"|"home", "pickup_point": str|None},
      "lines": [{"name", "url", "details"|None, "quantity": int, "unit_price": int,
                 "total": int}],
      "unavailable": [{"name", "url", "details"|None, "quantity": int, "reason": str}],
      "fees": [{"kind": "service"|"shipping"|"other", "label": str, "amount": int}],
      "subtotal": int, "fees_total": int, "total": int, "deposit": int, "balance": int,
      "deposit_percent": int|None,            # basis points when the deposit is a percentage
      "payment_methods": [{"name": str, "instructions": str}],
      "message": str|None,
    }
"""


def render_proforma(doc: dict) -> bytes:
    raise NotImplementedError("being written")
