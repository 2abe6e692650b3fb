"""What the benchmark (``bench/``) and the fleet test (``fleet/``) share: the service's processes
and their environment, readiness, PostgreSQL databases, ports, HTTP and the ledger check.

- ``processes``: children in sessions of their own, stopped with whatever they forked; ports.
- ``service``: the service's production-shaped environment, its gunicorn, Celery worker and
  beat command lines, readiness on ``/readyz`` and on Celery's own ping, ``verify_ledger``.
- ``db``: a PostgreSQL server from its URL, databases created fresh and dropped.
- ``client``: one HTTP request on its own connection, as a load balancer's probe or a client sends it.
"""
