# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
export FLASK_APP := wsgi

PORT ?= 5000
RTMP_PORT ?= 1935
LIVE_PACKAGES := nginx-light libnginx-mod-rtmp ffmpeg
APT_GET := RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600

.PHONY: run test install translations assets chromium live-ingest wrk lint bench-catalog bench-lightning bench-flash bench-live clean

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

# The web server, the ticks and (when nginx with the RTMP module can be had) the live ingest in
# front of them: scripts/run.py prints the addresses and the demo anchor's stream key.
run: install live-ingest
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@$(BIN)/python scripts/run.py --port $(PORT) --rtmp-port $(RTMP_PORT)

# Live video: nginx with the RTMP module and ffmpeg, installed as root (waits for the dpkg lock,
# runs apt-get update only if the first try fails). Not fatal here: rooms then play pasted URLs;
# the live tests fail loudly under CI=true when these are missing.
live-ingest:
	@if ! command -v nginx >/dev/null 2>&1 || ! command -v ffmpeg >/dev/null 2>&1 || \
	    ! ls /usr/*/nginx/modules/ngx_rtmp_module.so >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing $(LIVE_PACKAGES) for live video…"; \
	    ($(APT_GET) install -y $(LIVE_PACKAGES) >/dev/null 2>&1 || \
	     ($(APT_GET) update >/dev/null 2>&1 && $(APT_GET) install -y $(LIVE_PACKAGES) >/dev/null)) || \
	     echo "Could not install $(LIVE_PACKAGES): live broadcasting stays off."; \
	  else \
	    echo "Live broadcasting needs: sudo apt-get install -y $(LIVE_PACKAGES)"; \
	  fi; \
	fi

# Browser tests need Chromium and CJK fonts; CI (root, fresh machine) installs them here.
# On a busy machine another apt/dpkg may hold the lock: $(APT_GET) waits for it (10 minutes).
chromium:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    ($(APT_GET) install -y chromium fonts-noto-cjk >/dev/null 2>&1 || \
	     ($(APT_GET) update >/dev/null && \
	      $(APT_GET) install -y chromium fonts-noto-cjk >/dev/null)); \
	  else \
	    echo "Browser tests need: sudo apt-get install -y chromium fonts-noto-cjk"; \
	  fi; \
	fi

test: install chromium live-ingest
	$(BIN)/python scripts/i18n.py check
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The load generator of the benchmarks (root installs it, waiting for the package lock).
wrk:
	@if ! command -v wrk >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    ($(APT_GET) install -y wrk >/dev/null 2>&1 || \
	     ($(APT_GET) update >/dev/null 2>&1 && $(APT_GET) install -y wrk >/dev/null)); \
	  else \
	    echo "The benchmarks need: sudo apt-get install -y wrk"; \
	  fi; \
	fi

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench-catalog: install wrk
	$(BIN)/python bench/catalog.py

# PostgreSQL (yt7bench, created if missing, schema rebuilt), Redis db 7 (keys under a prefix of
# the run, removed after), gunicorn 4 workers, wrk.
bench-flash: install wrk
	$(BIN)/python bench/flash_sale.py

# Real nginx + ffmpeg: publish → live, segment delay, web p99 with 1,000 HLS viewers.
bench-live: install live-ingest wrk
	$(BIN)/python bench/live.py

clean:
	rm -rf $(VENV) instance media
