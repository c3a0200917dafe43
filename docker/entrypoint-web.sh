#!/bin/sh
# Start of the web container: apply the migrations, then hand over to the command (gunicorn).
# Only the web service migrates; the worker and beat wait until web is healthy, so they never
# see a database without its tables (see docker-compose.yml).
set -eu

python manage.py migrate --noinput

if [ "$#" -eq 0 ]; then
    set -- gunicorn config.wsgi:application --bind 0.0.0.0:8000 --worker-tmp-dir /dev/shm
fi
exec "$@"
