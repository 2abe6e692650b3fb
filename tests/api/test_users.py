import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import IntegrityError, transaction

from apps.wallets.models import Wallet
from tests.support.factories import DEFAULT_PASSWORD

User = get_user_model()
pytestmark = pytest.mark.django_db


def test_register_creates_user_and_empty_wallet(api):
    response = api.post("/api/auth/register/",
                        {"username": "alice", "password": "correct-horse-9", "email": "a@example.com"},
                        format="json")
    assert response.status_code == 201, response.data
    assert set(response.data) == {"id", "username", "email"}
    assert response.data["username"] == "alice"
    wallet = Wallet.objects.get(user_id=response.data["id"])
    assert str(wallet.balance) == "0.00"


def test_register_without_email(api):
    response = api.post("/api/auth/register/",
                        {"username": "bob", "password": "correct-horse-9"}, format="json")
    assert response.status_code == 201
    assert response.data["email"] == ""


def test_register_duplicate_username(api, make_user):
    make_user(username="alice")
    response = api.post("/api/auth/register/",
                        {"username": "alice", "password": "correct-horse-9"}, format="json")
    assert response.status_code == 400
    assert response.data["code"] == "username_taken"
    assert User.objects.filter(username="alice").count() == 1


@pytest.mark.parametrize("password", ["short", "password", "12345678901"])
def test_register_applies_password_validators(api, password):
    response = api.post("/api/auth/register/",
                        {"username": "carol", "password": password}, format="json")
    assert response.status_code == 400
    assert response.data["code"] == "invalid_password"
    assert "password" in response.data["details"]
    assert not User.objects.filter(username="carol").exists()


def test_every_user_gets_one_wallet_however_created(db):
    via_manager = User.objects.create_user("m", password="x")
    via_model = User(username="admin-form")
    via_model.save()
    call_command("createsuperuser", "--noinput", username="root", email="r@example.com")
    for user in (via_manager, via_model, User.objects.get(username="root")):
        assert Wallet.objects.filter(user=user).count() == 1


def test_token_obtain_refresh_verify_and_me(api, make_user):
    user = make_user(username="dave")
    tokens = api.post("/api/auth/token/",
                      {"username": "dave", "password": "a-long-enough-password-1"}, format="json")
    assert tokens.status_code == 200
    access, refresh = tokens.data["access"], tokens.data["refresh"]

    assert api.post("/api/auth/token/verify/", {"token": access}, format="json").status_code == 200
    refreshed = api.post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert refreshed.status_code == 200 and refreshed.data["access"]

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    me = api.get("/api/users/me/")
    assert me.status_code == 200
    assert me.data == {"id": user.pk, "username": "dave", "email": ""}


def test_wrong_password_is_401_with_error_shape(api, make_user):
    make_user(username="erin")
    response = api.post("/api/auth/token/",
                        {"username": "erin", "password": "wrong"}, format="json")
    assert response.status_code == 401
    assert set(response.data) == {"code", "message", "details"}


@pytest.mark.parametrize("path", ["/api/users/me/", "/api/wallet/me/"])
def test_requires_token(api, path):
    response = api.get(path)
    assert response.status_code == 401
    assert response.data["code"] == "not_authenticated"


def test_invalid_token_is_401(api):
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = api.get("/api/wallet/me/")
    assert response.status_code == 401
    assert response.data["code"] == "token_not_valid"


@pytest.mark.parametrize("taken, wanted", [("alice", "Alice"), ("Bob", "bob"), ("carol", "CAROL")])
def test_register_username_differing_only_in_case_is_taken(api, make_user, taken, wanted):
    make_user(username=taken)
    response = api.post("/api/auth/register/",
                        {"username": wanted, "password": "correct-horse-9"}, format="json")
    assert response.status_code == 400
    assert response.data["code"] == "username_taken"
    assert list(User.objects.filter(username__iexact=taken).values_list("username", flat=True)) == [taken]


def test_register_keeps_the_case_it_was_given(api):
    response = api.post("/api/auth/register/",
                        {"username": "Alice.Smith", "password": "correct-horse-9"}, format="json")
    assert response.status_code == 201
    assert response.data["username"] == "Alice.Smith"
    assert User.objects.get(pk=response.data["id"]).username == "Alice.Smith"


def test_database_refuses_usernames_differing_only_in_case(db):
    User.objects.create_user("dave", password="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("DAVE", password="x")
    assert User.objects.filter(username__iexact="dave").count() == 1


@pytest.mark.parametrize("typed", ["Frank", "frank", "FRANK"])
def test_login_ignores_the_case_of_the_username(api, make_user, typed):
    frank = make_user(username="Frank")
    response = api.post("/api/auth/token/",
                        {"username": typed, "password": "a-long-enough-password-1"}, format="json")
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {response.data['access']}")
    assert api.get("/api/users/me/").data == {"id": frank.pk, "username": "Frank", "email": ""}


def test_login_with_the_wrong_password_is_still_refused_in_any_case(api, make_user):
    make_user(username="Grace")
    response = api.post("/api/auth/token/", {"username": "grace", "password": "wrong"}, format="json")
    assert response.status_code == 401
    assert response.data["code"] == "no_active_account"


def test_register_with_an_email_longer_than_the_column_is_a_400(api):
    email = "a" * 300 + "@example.com"  # valid in form, longer than the 254-character column
    response = api.post("/api/auth/register/",
                        {"username": "dave", "password": "correct-horse-9", "email": email}, format="json")
    assert response.status_code == 400, response.content
    assert response.data["code"] == "invalid_input"
    assert "email" in response.data["details"]
    assert not User.objects.filter(username="dave").exists()


@pytest.mark.parametrize("password", ["  spaces-around-9  ", " leading-space-9", "trailing-space-9\t"])
def test_a_password_with_surrounding_whitespace_signs_in_exactly_as_registered(api, password):
    registered = api.post("/api/auth/register/", {"username": "henry", "password": password}, format="json")
    assert registered.status_code == 201, registered.data
    signed_in = api.post("/api/auth/token/", {"username": "henry", "password": password}, format="json")
    assert signed_in.status_code == 200, signed_in.data
    trimmed = api.post("/api/auth/token/", {"username": "henry", "password": password.strip()},
                       format="json")
    assert trimmed.status_code == 401


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/auth/register/", {"username": 0, "password": "correct-horse-9"}, "username"),
    ("/api/auth/register/", {"username": 12345, "password": "correct-horse-9"}, "username"),
    ("/api/auth/register/", {"username": "ivan", "password": 98765432109876543210}, "password"),
    ("/api/auth/register/", {"username": "ivan", "password": "correct-horse-9", "email": 5}, "email"),
    ("/api/auth/token/", {"username": 12345, "password": DEFAULT_PASSWORD}, "username"),
    ("/api/auth/token/", {"username": "12345", "password": 12345}, "password"),
])
def test_text_fields_take_json_strings_only(api, make_user, path, body, field):
    make_user(username="12345")  # a sign-in with the number 12345 must not reach this account
    response = api.post(path, body, format="json")
    assert response.status_code == 400, response.data
    assert response.data["code"] == "invalid_input"
    assert list(response.data["details"]) == [field]
    assert set(User.objects.values_list("username", flat=True)) == {"12345"}


def test_logout_takes_the_refresh_token_as_a_string_only(api, make_user):
    make_user(username="judy")
    signed_in = api.post("/api/auth/token/", {"username": "judy", "password": DEFAULT_PASSWORD},
                         format="json")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {signed_in.data['access']}")
    response = api.post("/api/auth/logout/", {"refresh": 5}, format="json")
    assert response.status_code == 400
    assert list(response.data["details"]) == ["refresh"]
