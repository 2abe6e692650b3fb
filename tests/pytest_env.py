"""Loaded with ``-p`` before Django is configured: tests need no ``.env``."""
import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
