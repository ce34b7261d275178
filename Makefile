# Two commands: `make run` (set up, build the index if needed, start the app) and `make test`.
PY := .venv/bin/python
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
PORT ?= 8501

.PHONY: run test setup index browser clean eval bench

setup: .venv/.installed

.venv/.installed: requirements.txt
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

index: setup
	$(PY) -m panelsearch build --if-stale

run: index
	@echo "panelsearch is starting at http://localhost:$(PORT)"
	$(PY) -m streamlit run app.py --server.headless true --server.port $(PORT) --browser.gatherUsageStats false

# Debian's chromium for the browser tests; Playwright cannot download browsers here.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

test: setup browser
	$(PY) -m pytest -q

eval: index
	$(PY) -m panelsearch eval

bench: index
	$(PY) -m panelsearch bench

clean:
	rm -rf index .venv .pytest_cache
