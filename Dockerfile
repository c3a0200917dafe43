# The image for docker-compose.yml: gunicorn serving config.wsgi, and with another command the
# Celery worker and beat. No secret is baked in: SECRET_KEY, DATABASE_URL and the rest come from
# the environment at run time (config/settings.py reads them; docker-compose.yml sets them).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    VAR_DIR=/app/var \
    MEDIA_ROOT=/app/media

# The site runs as this user; the code stays owned by root, so it cannot change it.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app \
        --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so that a code change does not reinstall them.
# setuptools with packages=[]: `pip install .` installs the dependencies only; the code runs
# from /app (the working directory, so it is on the path). All of them come as wheels: no
# compiler needed.
COPY pyproject.toml /tmp/build/pyproject.toml
RUN pip install /tmp/build && rm -rf /tmp/build

COPY . .

# Static files are collected at build time, with the production storage (DEBUG=0: hashed,
# compressed, with a manifest) into $VAR_DIR/static, from where WhiteNoise serves them. With
# DJANGO_BUILD_STEP=1 the settings load without the runtime secrets (SECRET_KEY,
# FIELD_ENCRYPTION_KEYS, mail, Mollie), which never enter the image; they refuse any other
# command with it (tests/test_deploy.py runs this line's command).
# $VAR_DIR/uploads: FILE_UPLOAD_TEMP_DIR in docker-compose.yml, a volume the app user writes.
RUN DEBUG=0 DJANGO_BUILD_STEP=1 python manage.py collectstatic --noinput \
    && python -m compileall -q . \
    && chmod 0755 docker/entrypoint-web.sh \
    && mkdir -p "$MEDIA_ROOT" "$VAR_DIR/uploads" \
    && chown app:app "$MEDIA_ROOT" "$VAR_DIR/uploads"

USER app

EXPOSE 8000

# No access log: it would write members' IP addresses outside the scrubbing log filter.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-tmp-dir", "/dev/shm"]
