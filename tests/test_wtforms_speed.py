"""portal/wtforms_speed.py: form fields render the same HTML as with WTForms' own
`html_params`, escaping included, and every widget uses the quicker function."""
import pytest
from markupsafe import Markup
from wtforms import widgets
from wtforms.widgets import core

from portal import wtforms_speed
from portal.staff.forms import OrderFilterForm

CASES = [
    {},
    {"name": "q", "id": "q", "class_": "form-control", "value": "diallo"},
    {"checked": True, "readonly": False, "name": "text1", "abc": "hello"},
    {"data_order_id": 12, "aria_describedby": "help", "for_": "q"},
    {"value": '"><script>alert(1)</script>', "title": "l'article & <b>"},
    {"value": Markup('déjà "cité" <b>gras</b>'), "placeholder": Markup("a &amp; b")},
    {"value": 0, "maxlength": 100, "min": -5, "step": 0.5, "size": None},
    {"value": "Côte d’Ivoire\u202f— 1\u00a0234,50 €", "lang": "fr"},
    {"bad<key": "x", "selected": True},
]


def test_it_is_the_function_every_widget_uses(app):
    assert core.html_params is widgets.html_params is wtforms_speed.html_params
    assert core.Input.html_params is wtforms_speed.html_params
    assert core.Button.html_params is wtforms_speed.html_params
    assert wtforms_speed._ORIGINAL.__module__ == "wtforms.widgets.core"  # still there to replace


@pytest.mark.parametrize("attributes", CASES)
def test_it_writes_what_wtforms_wrote(attributes):
    ours = wtforms_speed.html_params(**attributes)
    assert isinstance(ours, Markup)
    assert ours == wtforms_speed._ORIGINAL(**attributes)


def test_hostile_text_stays_inside_its_attribute():
    text = wtforms_speed.html_params(value='" onmouseover="alert(1)', title="<x>")
    assert text == 'title="&lt;x&gt;" value="&#34; onmouseover=&#34;alert(1)"'


def test_a_whole_form_renders_as_before(app):
    def rendered():
        form = OrderFilterForm(meta={"csrf": False}, data={"statut": "en-transit",
                                                            "q": 'a "b" <c>'})
        return [str(form.statut(class_="form-select")), str(form.statut.label()),
                str(form.q(type="search", maxlength=100, placeholder="Référence")),
                str(form.du()), str(form.tri(class_="form-select is-invalid"))]

    with app.test_request_context("/"):
        ours = rendered()
        wtforms_speed.install(wtforms_speed._ORIGINAL)
        try:
            theirs = rendered()
        finally:
            wtforms_speed.install()
    assert ours == theirs
    assert 'value="a &#34;b&#34; &lt;c&gt;"' in ours[2]
    assert 'selected value="en-transit"' in ours[0]
