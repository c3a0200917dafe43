# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DATABASE_URL_TEST ?= postgres://postgres@127.0.0.1:5432/datingsite
REDIS_URL_TEST ?= redis://127.0.0.1:6379/15
PYTEST_WORKERS ?= 2

.PHONY: run test install migrate lint messages bench e2e clean

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

# The whole suite on PostgreSQL (and Redis), as CI runs it.
test: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_TEST)} REDIS_URL=$${REDIS_URL:-$(REDIS_URL_TEST)} \
		$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

e2e: $(STAMP)
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
