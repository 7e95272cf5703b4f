"""Back-office forms and uploads under hostile input (tests/hostile/forms_staff.py)."""
import pytest

from tests.hostile.forms_staff import CASES
from tests.hostile.harness import run


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_staff_forms_refuse_or_escape(app, world, case):
    run(app, world, case)
