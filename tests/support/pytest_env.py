"""Loaded with ``-p`` before Django is configured: tests need no ``.env``."""
import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
# The test client and the live test server speak plain HTTP.
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

# Tasks published by the tests go to an in-process broker, whatever .env says;
# the end-to-end receipt tests point a real worker and the app at real Redis.
os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
