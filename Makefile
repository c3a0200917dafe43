# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DATABASE_URL_TEST ?= postgres://postgres@127.0.0.1:5432/datingsite
REDIS_URL_TEST ?= redis://127.0.0.1:6379/15
PYTEST_WORKERS ?= 2

.PHONY: run test install migrate lint messages bench e2e browser clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The embedded default: SQLite under var/, tasks in-process, mail on the console.
run: $(STAMP)
	mkdir -p var
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py seed_demo --members 500
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

# The browser tests need Debian's chromium (never a downloaded one): installed when missing
# and run as root (as .ci/run does), else make stops with the command to run. They never skip.
CHROMIUM := /usr/bin/chromium
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's chromium for the browser tests"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq \
				&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		fi; \
	fi; \
	if [ ! -x $(CHROMIUM) ]; then \
		echo "The browser tests (tests/e2e) need $(CHROMIUM). Install it: sudo apt-get install chromium" >&2; \
		exit 1; \
	fi

# The whole suite on PostgreSQL (and Redis), as CI runs it.
test: $(STAMP) browser
	DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_TEST)} REDIS_URL=$${REDIS_URL:-$(REDIS_URL_TEST)} \
		$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

e2e: $(STAMP) browser
	DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_TEST)} $(BIN)/pytest tests/e2e

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Dutch translations: edit locale/nl/LC_MESSAGES/django.po, then `make messages`.
messages: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py makemessages -l nl -l en --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*' --no-obsolete
	DEBUG=1 $(BIN)/python manage.py compilemessages --ignore '.venv/*'

bench: $(STAMP)
	$(BIN)/python -m bench
	BENCH_REUSE=1 $(BIN)/python -m bench.campaigns
	BENCH_REUSE=1 $(BIN)/python -m bench.page_visits
	$(BIN)/python -m bench.uploads

clean:
	rm -rf var/db.sqlite3 var/static
