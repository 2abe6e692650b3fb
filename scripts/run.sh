#!/bin/sh
# Start the web server and the background workers in the foreground; Ctrl-C stops them all,
# and the embedded PostgreSQL too when DATABASE_URL is unset (its data stays in var/postgres).
set -eu
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

# DATABASE_URL from the environment or .env: a server of your own, never started or stopped here.
database_url="${DATABASE_URL:-$(sed -n 's/^DATABASE_URL=//p' .env 2>/dev/null | tail -n 1)}"

pids=""
stop() {
    trap - INT TERM EXIT
    set +e  # a process that Ctrl-C already ended must not keep the rest from stopping
    [ -n "$pids" ] && kill $pids 2>/dev/null
    wait 2>/dev/null
    if [ -z "$database_url" ]; then
        "$PY" -m config.embedded_postgres stop
    fi
}
trap stop INT TERM EXIT

if [ -z "$database_url" ]; then
    # Started (or found running) before anything else, so a server that cannot start stops
    # `make run` here with its one sentence.
    "$PY" -m config.embedded_postgres start
fi

# Metrics: the web workers and the Celery worker of this host write to one directory, emptied
# first; /metrics adds them up (docs/observability.md). Logs: JSON lines, LOG_FORMAT=text to read.
PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-var/metrics}
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -type f -delete
export PROMETHEUS_MULTIPROC_DIR

"$PY" -m gunicorn -c config/gunicorn.py config.wsgi --bind "$HOST:$PORT" &
pids="$pids $!"

# Background work: the receipt worker, and Celery beat sending the receipt relay every second.
# The broker is CELERY_BROKER_URL (Redis), else the filesystem queue in var/.
"$PY" -m celery -A config worker -l info --concurrency "${CELERY_CONCURRENCY:-2}" &
pids="$pids $!"
"$PY" -m celery -A config beat -l info --schedule var/celerybeat-schedule &
pids="$pids $!"

echo "Wallet API on http://$HOST:$PORT/api/docs/  (Ctrl-C stops everything)"
wait
