"""The money path's forms and uploads under hostile input (tests/hostile/forms_payments.py)."""
import pytest

from tests.hostile.forms_payments import CASES
from tests.hostile.harness import run


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_payment_forms_refuse_or_escape(app, world, case):
    run(app, world, case)
