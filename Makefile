# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
export FLASK_APP := wsgi

.PHONY: run test install translations assets chromium lint bench-catalog bench-lightning bench-flash clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed translations assets

translations: $(VENV)/.installed
	$(BIN)/python scripts/i18n.py compile

# Pre-compressed static files (WhiteNoise serves .gz when the browser accepts it).
assets: $(VENV)/.installed
	$(BIN)/python -m whitenoise.compress -q static

run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo "Serving on http://127.0.0.1:5000 (demo password: yuantou-demo)"
	@trap 'kill 0' INT TERM EXIT; \
	$(FLASK) tick --every 60 & \
	SESSION_COOKIE_SECURE=0 $(BIN)/gunicorn -c gunicorn.conf.py --workers 2 --bind 127.0.0.1:5000 wsgi:app

# Browser tests need Chromium and CJK fonts; CI (root, fresh machine) installs them here.
chromium:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get install -y chromium fonts-noto-cjk >/dev/null 2>&1 || \
	     (apt-get update >/dev/null 2>&1 && apt-get install -y chromium fonts-noto-cjk >/dev/null)); \
	  else \
	    echo "Browser tests need: sudo apt-get install -y chromium fonts-noto-cjk"; \
	  fi; \
	fi

test: install chromium
	$(BIN)/python scripts/i18n.py check
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .

bench-catalog: install
	$(BIN)/python bench/catalog.py

# PostgreSQL (yt7bench, created if missing, schema rebuilt), Redis db 7 (keys under a prefix of
# the run, removed after), gunicorn 4 workers, wrk.
bench-flash: install
	$(BIN)/python bench/flash_sale.py

clean:
	rm -rf $(VENV) instance media
