"""Query strings under hostile input (tests/hostile/forms_queries.py)."""
import pytest

from tests.hostile.forms_queries import CASES
from tests.hostile.harness import run


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_query_strings_refuse_ignore_or_escape(app, world, case):
    run(app, world, case)
