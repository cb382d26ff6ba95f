# The two commands of the README: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_HPR ?= 9144889

.PHONY: run test lint schema chromium oidc-provider graphiql varnish screenshots

# The browser tests (tests/test_web.py) drive Debian's Chromium. Installed when missing and
# we may (root, with apt-get); otherwise those tests skip and say why.
CHROMIUM_PACKAGES ?= chromium

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ trengs"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Sets everything up, loads the demo registry, prints a development token and serves.
run: $(VENV)/.installed graphiql
	$(BIN)/tilpass seed-demo
	@echo "Utviklingstoken for Astrid Info (HPR $(DEMO_HPR)), for GraphiQL-headeren Authorization: Bearer <token>:"
	@$(BIN)/tilpass token --hpr $(DEMO_HPR)
	@echo "GraphiQL: http://$(HOST):$(PORT)/graphql"
	@echo "Admin-siden: http://$(HOST):$(PORT)/?dev-hpr=$(DEMO_HPR)  (uten dev-hpr: velg behandler)"
	@echo "Forhåndsvisning for pasienter: http://$(HOST):$(PORT)/pasient/8142519?hpr=$(DEMO_HPR)"
	$(BIN)/tilpass serve --host $(HOST) --port $(PORT)

# Sets everything up, checks style and runs the whole test suite: on SQLite, and on
# PostgreSQL too when a server answers (tests/postgres_server.py finds or starts one).
test: $(VENV)/.installed chromium oidc-provider graphiql varnish
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	url=$$($(BIN)/python tests/postgres_server.py) && \
	TILPASS_TEST_DATABASE_URL="$$url" $(BIN)/python -m pytest -q

schema: $(VENV)/.installed
	$(BIN)/tilpass export-schema > schema.graphql

chromium:
	@if command -v chromium >/dev/null 2>&1 && \
	    { ! command -v dpkg >/dev/null 2>&1 || dpkg -s $(CHROMIUM_PACKAGES) >/dev/null 2>&1; }; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installerer $(CHROMIUM_PACKAGES) fra Debian for nettlesertestene …"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(CHROMIUM_PACKAGES) >/dev/null; } || \
	  echo "Fikk ikke installert Chromium: nettlesertestene hoppes over."; \
	else echo "Chromium mangler og kan ikke installeres her: nettlesertestene hoppes over."; fi

# The HelseID sign-in tests run a real OpenID Provider (node-oidc-provider, tests/oidc_provider/).
# Node.js from Debian when missing and we may (root, with apt-get); its npm packages from the
# lock file into tests/oidc_provider/node_modules. Without Node those tests skip and say why.
oidc-provider:
	@if ! command -v node >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installerer nodejs og npm fra Debian for OpenID-testene …"; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; } || \
	    echo "Fikk ikke installert Node.js: OpenID-testene hoppes over."; \
	  else echo "Node.js mangler og kan ikke installeres her: OpenID-testene hoppes over."; fi; \
	fi
	@if command -v npm >/dev/null 2>&1 && [ ! -d tests/oidc_provider/node_modules/oidc-provider ]; then \
	  npm ci --prefix tests/oidc_provider --no-audit --no-fund; \
	fi

# GraphiQL (/graphql in a browser, in development) comes from the service itself, not from a
# CDN, so that it works on a closed network too (edge/graphiql.py): its npm packages, pinned in
# web/graphiql/package-lock.json, installed with `npm ci` into web/graphiql/node_modules, and
# again whenever the lock file changes. Node.js from Debian when missing and we may (root, with
# apt-get); without it GraphiQL's page says how to install them, and the rest works as before.
GRAPHIQL := web/graphiql

graphiql:
	@if ! command -v npm >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installerer nodejs og npm fra Debian for GraphiQL …"; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; } || \
	    echo "Fikk ikke installert Node.js: GraphiQL-siden sier hvordan den installeres."; \
	  else echo "npm mangler og kan ikke installeres her: GraphiQL-siden sier hvordan den installeres."; fi; \
	fi
	@if command -v npm >/dev/null 2>&1 && \
	    { [ ! -f $(GRAPHIQL)/node_modules/.package-lock.json ] || \
	      [ $(GRAPHIQL)/package-lock.json -nt $(GRAPHIQL)/node_modules/.package-lock.json ]; }; then \
	  echo "Installerer GraphiQL (npm-pakkene i $(GRAPHIQL)/package-lock.json) …"; \
	  npm ci --prefix $(GRAPHIQL) --no-audit --no-fund --ignore-scripts || \
	  echo "Fikk ikke installert GraphiQLs npm-pakker: GraphiQL-siden sier hvordan."; \
	fi

# The CDN tests (tests/test_varnish.py) run deploy/varnish/tilpass.vcl in real Varnish with
# the xkey vmod: Debian's varnish and varnish-modules, installed when missing and we may (root,
# with apt-get); otherwise those tests skip and say why. The package would start its system
# service (port 6081) on install: a policy-rc.d that answers 101 stops that while we install
# (kept if one is there already), and under systemd the service is then stopped and disabled.
# The tests start Varnish instances of their own and never use it.
VARNISH_PACKAGES ?= varnish varnish-modules

varnish:
	@if PATH="$$PATH:/usr/sbin" command -v varnishd >/dev/null 2>&1 && \
	    { ! command -v dpkg >/dev/null 2>&1 || dpkg -s $(VARNISH_PACKAGES) >/dev/null 2>&1; }; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installerer $(VARNISH_PACKAGES) fra Debian for CDN-testene …"; \
	  policy=; \
	  if [ ! -e /usr/sbin/policy-rc.d ]; then \
	    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d && policy=ours; \
	  fi; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(VARNISH_PACKAGES) >/dev/null; } || \
	  echo "Fikk ikke installert Varnish: CDN-testene hoppes over."; \
	  if [ "$$policy" = ours ]; then rm -f /usr/sbin/policy-rc.d; fi; \
	  if [ -d /run/systemd/system ]; then \
	    systemctl disable --now varnish.service varnishncsa.service >/dev/null 2>&1 || :; \
	  fi; \
	else echo "Varnish mangler og kan ikke installeres her: CDN-testene hoppes over."; fi

# The README's screenshots (docs/screenshots/); Norwegian date fields need chromium-l10n.
screenshots: CHROMIUM_PACKAGES = chromium chromium-l10n
screenshots: $(VENV)/.installed chromium
	$(BIN)/python -m tests.screenshots
