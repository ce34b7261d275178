"""Shared by the browser tests: the real app served by `streamlit run` on a free local port, waits on
the page's state, and screenshots.

Waits never sleep for a fixed time: they wait for what the test needs to be true.

* ``new_page(...)``/``watch_runs(page)`` count the script runs the server finishes for a page, read
  off the page's websocket (Streamlit's ``script_finished`` message). ``with rerun(page): click()``
  waits, after the action, until the run the action started has finished and the page has drawn
  it. The page's own ``data-test-script-state`` is not enough for that: a short run can come and
  go before the page ever shows "running", and right after a click it still says "notRunning".
* ``open_app(page, url)`` loads the page and waits for its first run the same way.
* ``settle(page)`` waits until Streamlit is idle: connected, no script run under way, no status
  widget, no element left stale by a run.
* ``wait_for_layout(page)`` waits until the page stops changing size and every image has loaded
  (before a screenshot, after the viewport changes).
* ``events_flushed(page)`` waits until every image has loaded or failed and one more turn of the
  page's event loop: by then any onerror/onload/ontoggle handler a payload could carry has run.

Screenshots go to tests/artifacts/ (not in git). A picture the README uses is also written to
$PANELSEARCH_SCREENSHOTS (`make screenshots` sets it to docs/screenshots) when that is set, and
only then, so a test run never rewrites the tracked pictures.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
CHROMIUM_MISSING = f"{CHROMIUM} is not installed (apt-get install chromium); Playwright cannot download browsers here"
ARTIFACTS = ROOT / "tests" / "artifacts"
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
PUBLISH_ENV = "PANELSEARCH_SCREENSHOTS"

# Streamlit's own state, as its page shows it: stApp carries the script-run and connection state; the
# status widget ("Running...") is there while a run is under way (and while it fades out); elements a
# run has not yet redrawn are marked stale until the run finishes.
IDLE = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && !document.querySelector('[data-testid=stStatusWidget]')
    && !document.querySelector('[data-testid=stElementContainer][data-stale=true]');
}"""

# True once the main area's size, the window's size and the number of elements have not changed
# for three animation frames in a row, and every image is loaded.
_STABLE = """() => {
  const main = document.querySelector('[data-testid=stMain]');
  if (!main || ![...document.images].every(i => i.complete)) return false;
  const sig = [main.scrollHeight, main.scrollWidth, window.innerWidth, window.innerHeight,
               document.getElementsByTagName('*').length, document.fonts.status].join();
  const seen = window.__psLayout || (window.__psLayout = {sig: '', frames: 0});
  if (sig === seen.sig) seen.frames += 1; else { seen.sig = sig; seen.frames = 0; }
  return seen.frames >= 3;
}"""


def settle(page) -> None:
    """Wait until Streamlit is idle (see the module's docstring for what that does not cover)."""
    page.wait_for_function(IDLE)


def run_ended(payload) -> bool:
    """Whether a websocket frame from the server is Streamlit's end of a script run. A run cut short
    by a newer rerun request is followed by that rerun, so it does not count."""
    if not isinstance(payload, (bytes, bytearray)):
        return False
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    msg.ParseFromString(bytes(payload))
    return msg.WhichOneof("type") == "script_finished" and \
        msg.script_finished != ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN


TWO_FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


class Runs:
    """The script runs the server has finished for one page, counted off the page's websocket."""

    def __init__(self, page):
        self.page, self.socket, self.finished = page, None, 0
        page.on("websocket", self._on_socket)

    def _on_socket(self, ws) -> None:
        if "/_stcore/stream" in ws.url:
            self.socket = ws
            ws.on("framereceived", self._on_frame)

    def _on_frame(self, payload) -> None:
        if run_ended(payload):
            self.finished += 1

    def wait_until(self, count: int, timeout_s: float = 90) -> None:
        """Block until ``count`` runs have finished, woken by each frame the server sends."""
        deadline = time.monotonic() + timeout_s
        while self.finished < count:
            left_ms = (deadline - time.monotonic()) * 1000
            if left_ms <= 0:
                raise TimeoutError(f"{count - self.finished} script run(s) did not finish in {timeout_s} s")
            if self.socket is None or self.socket.is_closed():
                self.page.wait_for_event("websocket", timeout=left_ms)
            else:
                self.socket.wait_for_event("framereceived", timeout=left_ms)


def watch_runs(page) -> Runs:
    """Start counting the page's finished runs; call before the page opens the app."""
    page._ps_runs = Runs(page)
    return page._ps_runs


def drawn(page) -> None:
    """After the server finished a run: wait until the page has handled its messages and is idle."""
    page.evaluate(TWO_FRAMES)
    settle(page)


@contextmanager
def rerun(page):
    """``with rerun(page): action()`` waits, after the action, until the run it started is drawn."""
    runs: Runs = page._ps_runs
    before = runs.finished
    yield
    runs.wait_until(before + 1)
    drawn(page)


def open_app(page, url: str) -> None:
    """Load the app at ``url``; wait until its first run is drawn."""
    runs: Runs = page._ps_runs
    before = runs.finished
    page.goto(url)
    runs.wait_until(before + 1)
    page.wait_for_selector("h1")
    drawn(page)


def wait_for_layout(page) -> None:
    """Wait until the page has stopped changing size and every image has loaded."""
    page.evaluate("() => { delete window.__psLayout; }")
    page.wait_for_function(_STABLE, polling="raf")


def events_flushed(page) -> None:
    """Wait until every image has loaded or failed, then for one more turn of the event loop."""
    page.wait_for_function("() => [...document.images].every(i => i.complete)")
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => setTimeout(done, 0)))")


def screenshot(page, path: Path, full: bool = False, publish: str | None = None) -> Path:
    """Save a screenshot to ``path`` under tests/artifacts/, once the layout is still; ``full`` grows
    the viewport to the main area's height first. ``publish`` names the copy a README picture gets
    in $PANELSEARCH_SCREENSHOTS, when that is set."""
    path = Path(path)
    if ARTIFACTS.resolve() not in path.resolve().parents:
        raise ValueError(f"screenshots go to {ARTIFACTS}, not {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if full:
        size = page.viewport_size
        height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
        page.set_viewport_size({"width": size["width"], "height": min(height + 40, 8000)})
        wait_for_layout(page)
        page.screenshot(path=str(path), animations="disabled")
        page.set_viewport_size(size)
        wait_for_layout(page)
    else:
        wait_for_layout(page)
        page.screenshot(path=str(path), animations="disabled")
    folder = os.environ.get(PUBLISH_ENV)
    if publish and folder:
        target = ROOT / folder  # an absolute $PANELSEARCH_SCREENSHOTS stays as it is
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / publish)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(corpus: Path, index: Path, log: Path, data: Path | None = None):
    """The app under `streamlit run` on a free port. Saved packs go to ``data``, else to
    $PANELSEARCH_DATA when this process has it, else to a folder of the server's own: never to the
    project's data/."""
    port = free_port()
    own = None
    if data is None and not os.environ.get("PANELSEARCH_DATA"):
        data = own = Path(tempfile.mkdtemp(prefix="panelsearch-data-"))
    env = {**os.environ, "PANELSEARCH_INDEX": str(index), "PANELSEARCH_CORPUS": str(corpus),
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    if data is not None:
        env["PANELSEARCH_DATA"] = str(data)
    log.parent.mkdir(parents=True, exist_ok=True)  # tests/artifacts/ is not in git
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],  # others edit the repo meanwhile: no reruns mid-test
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:  # poll the health endpoint until it answers (the sleep is the polling interval)
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"streamlit did not start; see {log}") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if own is not None:
            shutil.rmtree(own, ignore_errors=True)
