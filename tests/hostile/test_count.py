"""The corpus itself: at least 250 named cases, each id unique, and every form of the portal
sent at least one hostile value (the count by form is printed at the end of the run)."""
import importlib
import pkgutil
from collections import Counter

import portal
from portal.forms import PortalForm
from tests.hostile.catalogue import ALL_CASES

# Forms only ever sent inside another one (their fields are named in the parent's cases).
SUB_FORMS = {"SubForm", "QuoteLineForm", "OtherFeeForm", "AdjustmentForm"}


def portal_forms() -> set[str]:
    for module in pkgutil.walk_packages(portal.__path__, "portal."):
        if module.name.endswith(("forms", "staff_forms", "settings_forms")):
            importlib.import_module(module.name)
    found, todo = set(), [PortalForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub.__name__)
            todo.append(sub)
    return found - SUB_FORMS


def test_the_corpus_has_at_least_250_named_cases():
    by_form = Counter(case.form.name for case in ALL_CASES)
    print(f"\n{len(ALL_CASES)} hostile cases:", dict(sorted(by_form.items())))
    assert len(ALL_CASES) >= 250


def test_every_case_has_its_own_readable_id():
    ids = Counter(case.id for case in ALL_CASES)
    assert [case_id for case_id, n in ids.items() if n > 1] == []
    assert all(" " not in case_id for case_id in ids)


def test_every_form_of_the_portal_is_in_the_corpus():
    sent = {case.form.form_class for case in ALL_CASES}
    assert portal_forms() - sent == set()


def test_every_kind_of_outcome_is_exercised():
    kinds = Counter(type(case.outcome).__name__ for case in ALL_CASES)
    assert set(kinds) == {"Accepted", "Refused", "Ignored"}
