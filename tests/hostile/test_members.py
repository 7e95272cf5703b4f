"""Account forms under hostile input (tests/hostile/forms_members.py)."""
import pytest

from tests.hostile.forms_members import CASES
from tests.hostile.harness import run


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_account_forms_refuse_or_escape(app, world, case):
    run(app, world, case)
