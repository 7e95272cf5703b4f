"""What Twilio forwards, under hostile input (tests/hostile/forms_webhooks.py)."""
import pytest

from tests.hostile.forms_webhooks import CASES
from tests.hostile.harness import run


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_webhooks_keep_clean_text_or_ignore(app, world, case):
    run(app, world, case)
