import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
LOAD_SETTINGS = "from django.conf import settings; print(settings.DEBUG)"


def _load_settings(code=LOAD_SETTINGS, **env) -> subprocess.CompletedProcess:
    """Start a fresh interpreter with ``env`` and run ``code`` after ``django.setup()``."""
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    return subprocess.run([sys.executable, "-c", "import django; django.setup(); " + code],
                          cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=60)


def test_start_up_fails_clearly_without_secret_key_when_not_debug():
    result = _load_settings(SECRET_KEY="", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_allows_a_development_key():
    result = _load_settings(SECRET_KEY="", DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


@pytest.mark.parametrize("env", [{"RECEIPT_RELAY_INTERVAL": "0"}, {"RECEIPT_BATCH_SIZE": "0"},
                                 {"RECEIPT_LEASE_SECONDS": "0"}, {"RECEIPT_MAX_ATTEMPTS": "0"}])
def test_start_up_fails_clearly_on_a_receipt_relay_that_cannot_work(env):
    result = _load_settings(SECRET_KEY="", DEBUG="true", **env)
    assert result.returncode != 0
    assert "must be positive" in result.stderr


@pytest.mark.parametrize(("currency", "message"), [
    ("JPY", "JPY has 0 minor units"), ("KWD", "KWD has 3 minor units"),
    ("XYZ", "'XYZ' is not a supported ISO 4217 currency code"), ("", "is not a supported"),
])
def test_start_up_fails_clearly_on_a_currency_amounts_cannot_hold(currency, message):
    result = _load_settings(SECRET_KEY="", DEBUG="true", WALLET_CURRENCY=currency)
    assert result.returncode != 0
    assert "ImproperlyConfigured: WALLET_CURRENCY: " in result.stderr and message in result.stderr


def test_currency_and_issuer_defaults_and_overrides():
    code = "print(settings.WALLET_CURRENCY, '|', settings.RECEIPT_ISSUER)"
    result = _load_settings(f"from django.conf import settings; {code}", SECRET_KEY="", DEBUG="true")
    assert result.stdout.strip() == "USD | Wallet", result.stderr
    result = _load_settings(f"from django.conf import settings; {code}", SECRET_KEY="", DEBUG="true",
                            WALLET_CURRENCY="eur", RECEIPT_ISSUER="  Zoë   Pay ")
    assert result.stdout.strip() == "EUR | Zoë Pay", result.stderr


@pytest.mark.parametrize(("issuer", "message"), [
    ("", "RECEIPT_ISSUER must be 1 to 100 printable characters"),
    ("x" * 101, "RECEIPT_ISSUER must be 1 to 100 printable characters"),
    ("रमन Pay", "RECEIPT_ISSUER has characters the receipt fonts cannot print: 'र' <U+0930>"),
])
def test_start_up_fails_clearly_on_an_issuer_receipts_cannot_print(issuer, message):
    result = _load_settings(SECRET_KEY="", DEBUG="true", RECEIPT_ISSUER=issuer)
    assert result.returncode != 0
    assert message in result.stderr


def test_the_database_is_postgresql_with_persistent_connections():
    db = settings.DATABASES["default"]
    assert db["ENGINE"].endswith("postgresql")
    assert db["CONN_MAX_AGE"] > 0


def test_a_transaction_pooler_turns_server_side_cursors_off():
    code = "print(settings.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS'])"
    url = "postgres://postgres@127.0.0.1:6432/wallet"  # settings only: nothing connects
    for pooler, expected in (("transaction", "True"), ("session", "False"), ("", "False")):
        result = _load_settings(f"from django.conf import settings; {code}", SECRET_KEY="", DEBUG="true",
                                DATABASE_URL=url, DATABASE_POOLER=pooler)
        assert result.stdout.strip() == expected, (pooler, result.stderr)


def test_start_up_fails_clearly_on_an_unknown_pooler_mode():
    result = _load_settings(SECRET_KEY="", DEBUG="true", DATABASE_URL="postgres://postgres@127.0.0.1/wallet",
                            DATABASE_POOLER="statement")
    assert result.returncode != 0
    assert "DATABASE_POOLER must be empty, 'session' or 'transaction'" in result.stderr
