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

from apps.core.request_context import context_bind


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

    def authenticate(self, request):
        authenticated = super().authenticate(request)
        if authenticated is not None:
            context_bind(user_id=authenticated[0].id)  # every later log line of the request names the user
        return authenticated
