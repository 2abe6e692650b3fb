"""The fleet test: the service as it runs in production, several processes behind PgBouncer.

``python -m fleet.run`` (``make fleet``) starts PgBouncer in transaction pooling mode in
front of a fresh PostgreSQL database, one Redis, three gunicorn web processes, two Celery
workers and the relay's beat, all on 127.0.0.1; runs a bank test across the web processes
while one web process and one worker are SIGKILLed and restarted; then checks the books
and the receipts and prints a report. ``tests/e2e/test_fleet.py`` runs a short form of it.
"""
