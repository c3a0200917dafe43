#!/bin/sh
# Start of the web container: apply the migrations, then hand over to the command (gunicorn).
# Only the web service migrates; the worker and beat wait until web is healthy, so they never
# see a database without its tables (see docker-compose.yml).
set -eu

# The directory for temporary uploads must exist before Django's checks run (files.E001); the
# image makes it, but a volume or another path in FILE_UPLOAD_TEMP_DIR may not have it yet.
if [ -n "${FILE_UPLOAD_TEMP_DIR:-}" ]; then
    mkdir -p "$FILE_UPLOAD_TEMP_DIR"
fi

python manage.py migrate --noinput

if [ "$#" -eq 0 ]; then
    set -- gunicorn config.wsgi:application --bind 0.0.0.0:8000 --worker-tmp-dir /dev/shm
fi
exec "$@"
