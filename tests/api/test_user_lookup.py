"""GET /api/users/lookup/?username=: find a recipient by exact name, whatever its case."""
import pytest

pytestmark = pytest.mark.django_db
URL = "/api/users/lookup/"


def test_finds_an_exact_name_whatever_its_case(make_user, client_for):
    bob = make_user(username="Bob")
    client = client_for(make_user())
    for asked in ("Bob", "bob", "BOB", " bob "):  # spaces around, as pasted, are not part of a name
        response = client.get(URL, {"username": asked})
        assert response.status_code == 200, response.content
        assert response.json() == {"id": bob.pk, "username": "Bob"}  # no e-mail address


@pytest.mark.parametrize("asked", ["bo", "bobb", "b%", "b_b", "bob bob"])
def test_no_partial_or_pattern_match(bob, make_user, client_for, asked):
    response = client_for(make_user()).get(URL, {"username": asked})
    assert response.status_code == 404
    assert response.json() == {"code": "user_not_found", "message": "No active user has that username.",
                               "details": None}


def test_an_inactive_user_is_not_found(make_user, client_for):
    make_user(username="gone", is_active=False)
    response = client_for(make_user()).get(URL, {"username": "gone"})
    assert response.status_code == 404
    assert response.json()["code"] == "user_not_found"


@pytest.mark.parametrize(("query", "code"), [
    ({}, "invalid_input"), ({"username": ""}, "invalid_input"), ({"username": "x" * 151}, "invalid_input"),
    ({"username": "a\x00b"}, "invalid_input"), ({"username": "bob", "page": "2"}, "unknown_field"),
])
def test_bad_queries_are_400(bob, make_user, client_for, query, code):
    response = client_for(make_user()).get(URL, query)
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_needs_a_token(api, bob):
    response = api.get(URL, {"username": "bob"})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_is_limited_per_user(settings, bob, make_user, client_for):
    settings.THROTTLE_LOOKUP_RATE = "2/min"
    alice, carol = make_user(), make_user()
    statuses = [client_for(alice).get(URL, {"username": "bob"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    throttled = client_for(alice).get(URL, {"username": "nobody"})
    assert throttled.status_code == 429 and throttled.json()["code"] == "throttled"
    assert client_for(carol).get(URL, {"username": "bob"}).status_code == 200  # a budget of its own
