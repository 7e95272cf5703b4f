"""Every case of the corpus, from the form modules."""
from tests.hostile import (
    forms_members,
    forms_orders,
    forms_payments,
    forms_queries,
    forms_staff,
    forms_webhooks,
)

MODULES = (forms_members, forms_orders, forms_payments, forms_staff, forms_queries,
           forms_webhooks)
ALL_CASES = [case for module in MODULES for case in module.CASES]
