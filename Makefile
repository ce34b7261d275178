# `make run` sets up, builds the index if needed and starts the app. Tests (docs/testing.md):
# `make check` is the quick tier (unit and CLI tests, under a minute); `make test` runs everything,
# browser tests included, and is what CI runs; `make screenshots` refreshes the README's pictures.
PY := .venv/bin/python
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
PORT ?= 8501

.PHONY: run test check screenshots setup index browser clean eval bench

setup: .venv/.installed

.venv/.installed: requirements.txt
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

index: setup
	$(PY) -m panelsearch build --if-stale

# On one's own machine the library is editable from the page (--allow-edit); a shared page runs
# without it, or with PANELSEARCH_EDITORS_TOKEN (README, "Who may change the library").
run: index
	@echo "panelsearch is starting at http://localhost:$(PORT)"
	@echo "Library editing is on (--allow-edit): anyone who opens this page may add or remove documents."
	$(PY) -m streamlit run app.py --server.headless true --server.port $(PORT) --browser.gatherUsageStats false \
	  -- --allow-edit

# Debian's chromium for the browser tests; Playwright cannot download browsers here.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

test: setup browser
	$(PY) -m pytest -q

# The quick tier: the tests `pytest -m "not browser and not slow"` picks, in two processes at once,
# one per core; each keeps every other test (PANELSEARCH_SHARD, tests/conftest.py).
CHECK := $(PY) -m pytest -q -p no:cacheprovider -m "not browser and not slow"
check: setup
	@echo 'PANELSEARCH_SHARD=1/2 and 2/2 $(CHECK)'
	@log=$$(mktemp); \
	PANELSEARCH_SHARD=2/2 $(CHECK) > $$log 2>&1 & other=$$!; \
	PANELSEARCH_SHARD=1/2 $(CHECK); one=$$?; \
	wait $$other; two=$$?; echo "-- the other half:"; cat $$log; rm -f $$log; \
	test $$one = 0 && test $$two = 0

# The browser tests that take the README's pictures also copy them to docs/screenshots/ when
# PANELSEARCH_SCREENSHOTS names that folder; other test runs leave docs/screenshots/ alone.
screenshots: setup browser
	PANELSEARCH_SCREENSHOTS=docs/screenshots $(PY) -m pytest -q -m browser tests/test_browser.py \
	  -k "test_search_shows_cards_quickly or test_library_of_two_documents"
	PANELSEARCH_SCREENSHOTS=docs/screenshots $(PY) -m pytest -q -m browser tests/test_browser_perspectives.py -k laptop

eval: index
	$(PY) -m panelsearch eval

bench: index
	$(PY) -m panelsearch bench

clean:
	rm -rf index .venv .pytest_cache
