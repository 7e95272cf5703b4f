"""portal/templating.py: templates' `url_for` keeps the links it built and answers as Flask's."""
import pytest
from werkzeug.routing import BuildError

from portal.templating import kept_url_for


def test_templates_build_links_through_the_kept_url_for(app):
    assert app.jinja_env.globals["url_for"].kept.cache_info().maxsize == 4096
    # A kept link could not follow a url_defaults function: add one, and revisit kept_url_for.
    assert not any(app.url_default_functions.values())


@pytest.mark.parametrize("endpoint, values", [
    ("main.index", {}),
    ("requests.order_detail", {"order_id": 42}),
    ("staff.order_list", {"statut": "en-transit", "q": "Traoré & fils"}),
    ("staff.order_list", {"page": 3}),
])
def test_links_are_flasks_and_are_kept(app, endpoint, values):
    url_for = kept_url_for(app)
    with app.test_request_context("/"):
        first = url_for(endpoint, **values)
        assert first == app.url_for(endpoint, **values)
        assert url_for(endpoint, **values) == first
    assert url_for.kept.cache_info()[:2] == (1, 1)  # (hits, misses)


def test_the_prefix_the_portal_is_served_under_is_part_of_a_kept_link(app):
    url_for = kept_url_for(app)
    with app.test_request_context("/"):
        plain = url_for("requests.order_detail", order_id=7)
    with app.test_request_context("/", base_url="http://localhost/portail/"):
        prefixed = url_for("requests.order_detail", order_id=7)
    assert plain == "/commandes/7"
    assert prefixed == "/portail/commandes/7"


def test_booleans_options_and_other_values_are_built_each_time(app):
    url_for = kept_url_for(app)
    with app.test_request_context("/", base_url="https://portail.example"):
        assert url_for("staff.order_list", page=1) == "/equipe/commandes?page=1"
        assert url_for("staff.order_list", page=True) == "/equipe/commandes?page=True"
        assert url_for("main.index", _external=True) == "https://portail.example/"
        assert url_for("main.index", _anchor="aide") == "/#aide"
        assert url_for("staff.order_list", q=["a", "b"]) == "/equipe/commandes?q=a&q=b"
    assert url_for.kept.cache_info().currsize == 1  # page=1 alone
    with app.test_request_context("/", base_url="https://autre.example"):
        assert url_for("main.index", _external=True) == "https://autre.example/"


def test_an_unknown_endpoint_or_a_missing_value_still_fails(app):
    url_for = kept_url_for(app)
    with app.test_request_context("/"):
        with pytest.raises(BuildError):
            url_for("nowhere")
        with pytest.raises(BuildError):
            url_for("requests.order_detail")
    assert url_for.kept.cache_info().currsize == 0


def test_outside_a_request_it_is_flasks_own(app):
    url_for = kept_url_for(app)
    with app.app_context(), pytest.raises(RuntimeError, match="SERVER_NAME"):
        url_for("main.index")  # as Flask's: no request, no SERVER_NAME configured
    assert url_for.kept.cache_info().currsize == 0


def test_a_page_links_as_before(app):
    with app.test_request_context("/"):
        page = app.jinja_env.from_string(
            '<a href="{{ url_for("requests.order_detail", order_id=5) }}">'
            '{{ url_for("staff.order_list", q="a&b") }}</a>').render()
    assert page == '<a href="/commandes/5">/equipe/commandes?q=a%26b</a>'
