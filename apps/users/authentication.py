"""Stateless JWT authentication.

Access tokens are short-lived and signed, so validating one needs no database
query. Anything that moves money re-checks the account inside the same locked
query (``apps.wallets.selectors.wallets_lock``), so a disabled account cannot
spend even with a token that has not yet expired.
"""
from functools import cached_property

from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication
from rest_framework_simplejwt.models import TokenUser
from rest_framework_simplejwt.settings import api_settings


class TokenAccount(TokenUser):
    """The authenticated caller, built from the token's claims alone."""

    @cached_property
    def id(self) -> int:
        return int(self.token[api_settings.USER_ID_CLAIM])

    @cached_property
    def pk(self) -> int:
        return self.id


class StatelessJWTAuthentication(JWTStatelessUserAuthentication):
    """Bearer-token authentication that does not touch the database."""
