"""Refresh tokens rotate and are blacklisted after use; logout revokes them."""
import pytest
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import UntypedToken

from apps.wallets.models import Wallet
from tests.support.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db
TOKEN, REFRESH, LOGOUT = "/api/auth/token/", "/api/auth/token/refresh/", "/api/auth/logout/"


def login(api, username="alice"):
    response = api.post(TOKEN, {"username": username, "password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 200
    return response.json()


def jti_of(token: str) -> str:
    return UntypedToken(token, verify=False)["jti"]


def test_access_token_lifetime_is_configurable(settings):
    assert settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds() == 5 * 60


def test_refresh_rotates_and_the_old_token_is_dead(api, alice):
    tokens = login(api)
    first = api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert first.status_code == 200
    assert set(first.json()) == {"access", "refresh"}
    assert first.json()["refresh"] != tokens["refresh"]

    again = api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert again.status_code == 401
    assert again.json()["code"] == "token_not_valid"
    # The rotated one works once.
    assert api.post(REFRESH, {"refresh": first.json()["refresh"]}, format="json").status_code == 200


def test_logout_blacklists_the_refresh_token(api, alice):
    tokens = login(api)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    response = api.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 204
    assert response.content == b""

    refreshed = api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 401
    assert refreshed.json()["code"] == "token_not_valid"
    again = api.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")
    assert again.status_code == 401
    assert again.json()["code"] == "token_not_valid"


def test_logout_needs_an_access_token(api, alice):
    tokens = login(api)
    response = api.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 200


def test_cannot_log_out_someone_else(api, alice, make_user):
    make_user(username="mallory")
    victim = login(api, "alice")
    attacker = login(api, "mallory")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {attacker['access']}")
    response = api.post(LOGOUT, {"refresh": victim["refresh"]}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
    api.credentials()
    assert api.post(REFRESH, {"refresh": victim["refresh"]}, format="json").status_code == 200


@pytest.mark.parametrize("body", [{"refresh": "not-a-token"}, {}, {"refresh": ""}])
def test_logout_with_garbage(api, alice, body):
    tokens = login(api)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    response = api.post(LOGOUT, body, format="json")
    assert response.status_code in (400, 401)
    assert response.json()["code"] in {"invalid_input", "token_not_valid"}


def test_access_token_cannot_be_used_as_refresh(api, alice):
    tokens = login(api)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    response = api.post(LOGOUT, {"refresh": tokens["access"]}, format="json")
    assert response.status_code == 401


def test_access_token_stays_valid_after_logout_until_expiry(api, alice):
    """The documented trade-off of stateless authentication."""
    tokens = login(api)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json").status_code == 204
    assert api.get("/api/users/me/").status_code == 200


def test_refresh_for_a_deleted_user_is_401(api, make_user):
    # Users with transactions can never be deleted (PROTECT); a fresh one can.
    ghost = make_user(username="ghost")
    tokens = login(api, "ghost")
    Wallet.objects.filter(user=ghost).delete()
    ghost.delete()

    response = api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 401
    assert response.json() == {"code": "no_active_account",
                               "message": "No active account found for the given token.",
                               "details": None}


def test_refresh_for_a_disabled_user_is_401_and_does_not_use_the_token(api, alice):
    tokens = login(api)
    alice.is_active = False
    alice.save()

    response = api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "no_active_account"
    assert not BlacklistedToken.objects.filter(token__jti=jti_of(tokens["refresh"])).exists()

    alice.is_active = True
    alice.save()
    assert api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 200


def test_refresh_blacklists_the_old_token_and_records_the_new_one(api, alice):
    tokens = login(api)
    response = api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200
    new = response.json()["refresh"]
    assert BlacklistedToken.objects.filter(token__jti=jti_of(tokens["refresh"])).exists()
    assert OutstandingToken.objects.get(jti=jti_of(new)).user == alice
    assert not BlacklistedToken.objects.filter(token__jti=jti_of(new)).exists()
    # The new access token authenticates as the same user.
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert api.get("/api/users/me/").json()["id"] == alice.pk


def test_refresh_token_the_server_has_no_record_of_is_refused(api, alice):
    """Deleting a token's record (which also drops its blacklist entry) must not revive it."""
    tokens = login(api)
    assert api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 200
    OutstandingToken.objects.filter(jti=jti_of(tokens["refresh"])).delete()
    assert not BlacklistedToken.objects.filter(token__jti=jti_of(tokens["refresh"])).exists()

    response = api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


@pytest.mark.parametrize("body", [{"refresh": "not-a-token"}, {"refresh": 12}])
def test_refresh_with_a_bad_token_is_401_with_the_usual_body(api, body):
    response = api.post(REFRESH, body, format="json")
    assert response.status_code == 401
    assert response.json() == {"code": "token_not_valid", "message": "Token is invalid or expired",
                               "details": None}


@pytest.mark.parametrize("body", [{}, {"refresh": ""}, {"refresh": None}, [1]])
def test_refresh_with_a_malformed_body_is_400(api, body):
    response = api.post(REFRESH, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"


def test_refresh_401_says_how_to_authenticate(api):
    response = api.post(REFRESH, {"refresh": "not-a-token"}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_logout_401_says_how_to_authenticate(api, alice):
    tokens = login(api)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    response = api.post(LOGOUT, {"refresh": "not-a-token"}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


VERIFY = "/api/auth/token/verify/"


@pytest.mark.parametrize("endpoint", ["token", "refresh", "verify", "logout"])
def test_every_token_endpoint_refuses_unknown_fields(api, alice, endpoint):
    """One rule for every body: an unknown field is 400 `unknown_field`, even beside valid ones."""
    tokens = login(api)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    url, body = {
        "token": (TOKEN, {"username": "alice", "password": DEFAULT_PASSWORD}),
        "refresh": (REFRESH, {"refresh": tokens["refresh"]}),
        "verify": (VERIFY, {"token": tokens["access"]}),
        "logout": (LOGOUT, {"refresh": tokens["refresh"]}),
    }[endpoint]
    issued = OutstandingToken.objects.count()

    response = api.post(url, {**body, "grant_type": "password"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"code": "unknown_field", "message": "grant_type: Unknown field.",
                               "details": {"grant_type": [{"code": "unknown_field",
                                                           "message": "Unknown field."}]}}
    assert OutstandingToken.objects.count() == issued  # no token issued
    assert not BlacklistedToken.objects.exists()  # none revoked
    assert api.post(url, body, format="json").status_code in (200, 204)  # the same body without it works
