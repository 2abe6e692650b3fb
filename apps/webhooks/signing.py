"""Signing secrets and the ``Wallet-Signature`` header.

A secret is never stored: each endpoint keeps a random salt, and its secret
is ``whsec_`` + HMAC-SHA256(WEBHOOK_SECRET_KEY, salt), so a database dump
without the key from the environment reveals nothing a receiver could be
fooled with. Rotating draws a new salt; the previous one signs too until its
overlap ends.

The header is ``Wallet-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]``,
each ``v1`` the hex HMAC-SHA256 of ``"<t>.<raw body>"`` under one valid secret.
"""
import base64
import hashlib
import hmac
import secrets

from django.conf import settings

SECRET_PREFIX = "whsec_"
SIGNATURE_HEADER = "Wallet-Signature"
EVENT_ID_HEADER = "Wallet-Event-Id"
EVENT_TYPE_HEADER = "Wallet-Event-Type"


def salt_new() -> str:
    return secrets.token_urlsafe(32)


def secret_derive(salt: str) -> str:
    digest = hmac.new(settings.WEBHOOK_SECRET_KEY.encode(), salt.encode(), hashlib.sha256).digest()
    return SECRET_PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secrets_: list[str], timestamp: int, body: bytes) -> str:
    return ",".join([f"t={timestamp}", *(f"v1={signature(s, timestamp, body)}" for s in secrets_)])
