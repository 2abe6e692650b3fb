"""The account and token services called directly: what they create and what they refuse."""
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from apps.users.exceptions import (
    InvalidPassword,
    RefreshTokenInvalid,
    TokenAccountInactive,
    UsernameTaken,
    UsernameUnprintable,
    UserNotFound,
)
from apps.users.selectors import user_get_by_username
from apps.users.services import refresh_token_revoke, refresh_token_rotate, user_create
from apps.wallets.models import Wallet
from tests.support.factories import DEFAULT_PASSWORD, balance_of

User = get_user_model()
pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int]:
    return User.objects.count(), Wallet.objects.count()


def is_blacklisted(token: str) -> bool:
    return BlacklistedToken.objects.filter(token__jti=RefreshToken(token, verify=False)["jti"]).exists()


def with_broken_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    first = "A" if signature[0] != "A" else "B"  # the first character: every one of its bits counts
    return f"{header}.{payload}.{first}{signature[1:]}"


# --- user_create -------------------------------------------------------------------------

def test_user_create_makes_an_active_user_with_an_empty_wallet():
    user = user_create(username="carol", password=DEFAULT_PASSWORD, email="carol@example.com")

    user.refresh_from_db()
    assert (user.username, user.email, user.is_active, user.is_staff) == (
        "carol", "carol@example.com", True, False)
    assert user.check_password(DEFAULT_PASSWORD)
    assert Wallet.objects.filter(user=user).count() == 1
    assert balance_of(user) == Decimal("0.00")


def test_user_and_wallet_are_created_together():
    with mock.patch("apps.users.services.wallet_create", side_effect=RuntimeError("no wallet")), \
            pytest.raises(RuntimeError):
        user_create(username="carol", password=DEFAULT_PASSWORD)
    assert not User.objects.filter(username="carol").exists()


@pytest.mark.parametrize("username", ["alice", "Alice", "ALICE"])
def test_username_is_taken_whatever_its_case(alice, username):
    before = counts()
    with pytest.raises(UsernameTaken):
        user_create(username=username, password=DEFAULT_PASSWORD)
    assert counts() == before


@pytest.mark.parametrize(("password", "rule"), [
    ("short", "too short"),
    ("password", "too common"),
    ("12345678901", "entirely numeric"),
    ("carolina-1", "too similar to the username"),
])
def test_password_rules_are_applied(password, rule):
    before = counts()
    with pytest.raises(InvalidPassword) as refused:
        user_create(username="carolina", password=password)
    assert counts() == before
    assert rule in refused.value.message
    rules = refused.value.details["password"]
    assert rules and {e["code"] for e in rules} == {InvalidPassword.code}
    assert any(rule in e["message"] for e in rules)


def test_a_name_no_receipt_font_draws_is_refused():
    before = counts()
    with pytest.raises(UsernameUnprintable) as refused:
        user_create(username="สมชาย_1", password=DEFAULT_PASSWORD)  # Thai: no receipt font has it
    assert counts() == before
    assert refused.value.code == "username_unprintable"
    assert "ส (U+0E2A)" in refused.value.message
    assert refused.value.details["username"][0]["code"] == "username_unprintable"


# --- user_get_by_username (the lookup) ------------------------------------------------------

def test_lookup_finds_an_active_user_whatever_the_case(alice):
    assert user_get_by_username(username="ALICE").pk == alice.pk


@pytest.mark.parametrize("username", ["nobody", "alic", "alice "])
def test_lookup_refuses_an_unknown_name(alice, username):
    with pytest.raises(UserNotFound):
        user_get_by_username(username=username)


def test_lookup_refuses_a_disabled_account(make_user):
    make_user(username="dora", is_active=False)
    with pytest.raises(UserNotFound):
        user_get_by_username(username="dora")


# --- refresh_token_revoke (logout) -----------------------------------------------------------

@pytest.fixture
def carol(make_user):
    return make_user(username="carol")


def test_revoke_blacklists_the_callers_refresh_token(carol):
    token = str(RefreshToken.for_user(carol))
    refresh_token_revoke(token=token, user_id=carol.pk)
    assert is_blacklisted(token)


def test_revoke_refuses_another_accounts_token(carol, bob):
    token = str(RefreshToken.for_user(bob))
    with pytest.raises(RefreshTokenInvalid):
        refresh_token_revoke(token=token, user_id=carol.pk)
    assert not is_blacklisted(token)


def test_revoke_refuses_a_revoked_token(carol):
    token = str(RefreshToken.for_user(carol))
    refresh_token_revoke(token=token, user_id=carol.pk)
    with pytest.raises(RefreshTokenInvalid):
        refresh_token_revoke(token=token, user_id=carol.pk)


@pytest.mark.parametrize("make_token", [
    lambda user: "not-a-token",
    lambda user: str(RefreshToken.for_user(user).access_token),  # an access token is not a refresh token
    lambda user: with_broken_signature(str(RefreshToken.for_user(user))),
], ids=["garbage", "access token", "bad signature"])
def test_revoke_refuses_what_is_not_a_valid_refresh_token(carol, make_token):
    with pytest.raises(RefreshTokenInvalid):
        refresh_token_revoke(token=make_token(carol), user_id=carol.pk)
    assert not BlacklistedToken.objects.exists()


# --- refresh_token_rotate ------------------------------------------------------------------

def test_rotate_returns_a_new_pair_and_revokes_the_old_token(carol):
    old = str(RefreshToken.for_user(carol))
    tokens = refresh_token_rotate(token=old)

    assert set(tokens) == {"access", "refresh"}
    assert tokens["refresh"] != old
    assert is_blacklisted(old)
    assert not is_blacklisted(tokens["refresh"])
    assert str(RefreshToken(tokens["refresh"])["user_id"]) == str(carol.pk)


def test_rotate_refuses_a_token_used_once_already(carol):
    old = str(RefreshToken.for_user(carol))
    refresh_token_rotate(token=old)
    before = BlacklistedToken.objects.count()
    with pytest.raises(RefreshTokenInvalid):
        refresh_token_rotate(token=old)
    assert BlacklistedToken.objects.count() == before


def test_rotate_refuses_a_token_revoked_by_logout(carol):
    token = str(RefreshToken.for_user(carol))
    refresh_token_revoke(token=token, user_id=carol.pk)
    with pytest.raises(RefreshTokenInvalid):
        refresh_token_rotate(token=token)


def test_rotate_refuses_a_token_that_was_never_recorded(carol):
    token = RefreshToken.for_user(carol)
    OutstandingToken.objects.filter(jti=token["jti"]).delete()
    with pytest.raises(RefreshTokenInvalid):
        refresh_token_rotate(token=str(token))
    assert not OutstandingToken.objects.filter(user=carol).exists()  # no new pair was issued


@pytest.mark.parametrize("make_token", [
    lambda user: "not-a-token",
    lambda user: str(RefreshToken.for_user(user).access_token),
], ids=["garbage", "access token"])
def test_rotate_refuses_what_is_not_a_valid_refresh_token(carol, make_token):
    with pytest.raises(RefreshTokenInvalid):
        refresh_token_rotate(token=make_token(carol))


def test_rotate_refuses_a_disabled_account(carol):
    token = str(RefreshToken.for_user(carol))
    carol.is_active = False
    carol.save(update_fields=["is_active"])
    outstanding = OutstandingToken.objects.count()

    with pytest.raises(TokenAccountInactive):
        refresh_token_rotate(token=token)

    assert not is_blacklisted(token)
    assert OutstandingToken.objects.count() == outstanding
