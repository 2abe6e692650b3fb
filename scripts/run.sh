#!/bin/sh
# Start the web server (and the background workers) in the foreground;
# Ctrl-C stops them all.
set -eu
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

pids=""
stop() {
    trap - INT TERM EXIT
    [ -n "$pids" ] && kill $pids 2>/dev/null
    wait 2>/dev/null
}
trap stop INT TERM EXIT

GUNICORN_ACCESS_LOG=${GUNICORN_ACCESS_LOG:--} \
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
