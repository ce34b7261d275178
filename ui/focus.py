"""Keyboard focus stays where the reader acted (issue #11).

A click or a key press on a widget reruns the page, and a widget the run redraws can lose the focus
to the page's body: a keyboard user then starts again from the top. A callback that acts for a
widget calls ``keep_focus(key)``; at the end of the run ``restore_focus()`` adds a small script
that gives the focus back to that widget, found by the class Streamlit gives a keyed widget
(``st-key-<key>``):

* ``kind="button"``: the widget's button. An Add button that became "In your pack" is disabled,
  and a disabled button cannot hold the focus: it is made focusable while it has the focus
  (``aria-disabled``, clicks and keys blocked), and disabled again as soon as the focus leaves it.
* ``kind="tab"``: the selected tab of a keyed ``st.tabs``; arrow keys and Tab carry on from there.

The script waits (animation frames, at most ``WATCH_MS``) until the element exists, focuses it, and
for the rest of that time puts the focus back if a late redraw drops it to the body. It stops at the
reader's next key press or click. Its progress is in ``<html data-ps-focus="<n> <state>">``
(``waiting``, ``focused``, then ``done`` or ``missing``), for the browser tests to wait on.
"""
from __future__ import annotations

import json

import streamlit as st

WATCH_MS = 2000
_WANTED = "focus_wanted"  # session state: (kind, key) a callback asked for, taken by restore_focus
_COUNT = "focus_count"  # session state: numbers each script, so a new one runs even for the same widget
KINDS = ("button", "tab")

_SCRIPT = """<script>
(() => {
  const win = window.parent, doc = win.document;
  const {key, kind, n, watch} = %(args)s;
  // Streamlit's class for a keyed element: "st-key-" and the key, other characters than [a-zA-Z0-9_-] as "-".
  const scope = "." + CSS.escape("st-key-" + key.trim().replace(/[^a-zA-Z0-9_-]/g, "-"));
  const selector = kind === "tab" ? scope + ' [role="tab"][aria-selected="true"]' : scope + " button";
  const mark = state => { doc.documentElement.dataset.psFocus = n + " " + state; };
  const start = win.performance.now();
  let focused = null, stopped = false;
  const stop = state => {
    if (stopped) return;
    stopped = true;
    doc.removeEventListener("keydown", byReader, true);
    doc.removeEventListener("pointerdown", byReader, true);
    mark(state);
  };
  const byReader = () => { if (focused) stop("done"); };  // the reader moves on: leave the focus be
  doc.addEventListener("keydown", byReader, true);
  doc.addEventListener("pointerdown", byReader, true);

  // A disabled button cannot be focused: focusable while it has the focus, disabled again after.
  const holdDisabled = button => {
    if (!button.disabled) return;
    const look = win.getComputedStyle(button);
    const kept = {color: look.color, backgroundColor: look.backgroundColor, borderColor: look.borderColor,
                  cursor: look.cursor};
    const block = event => {
      if (event.type === "click" || event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    };
    const release = () => {
      if (doc.activeElement === button && !doc.hasFocus()) return;  // the window lost focus, not the button
      button.removeEventListener("click", block, true);
      button.removeEventListener("keydown", block, true);
      button.removeEventListener("keyup", block, true);
      button.removeEventListener("blur", release);
      for (const name of Object.keys(kept)) button.style[name] = "";
      button.removeAttribute("aria-disabled");
      button.disabled = true;
    };
    Object.assign(button.style, kept);
    button.addEventListener("click", block, true);
    button.addEventListener("keydown", block, true);
    button.addEventListener("keyup", block, true);
    button.addEventListener("blur", release);
    button.setAttribute("aria-disabled", "true");
    button.disabled = false;
  };

  const step = () => {
    if (stopped) return;
    const active = doc.activeElement;
    const lost = !active || active === doc.body || (focused && !focused.isConnected);
    if (!focused || (lost && active !== focused)) {
      const target = doc.querySelector(selector);
      if (target) {
        holdDisabled(target);
        target.focus();
        if (doc.activeElement === target) {
          focused = target;
          mark("focused");
        }
      }
    } else if (active !== focused && active !== doc.body) {
      return stop("done");  // focus is somewhere else on purpose
    }
    if (win.performance.now() - start > watch) return stop(focused ? "done" : "missing");
    win.requestAnimationFrame(step);
  };
  mark("waiting");
  step();
})();
</script>"""


def keep_focus(key: str, kind: str = "button") -> None:
    """From a callback: after this rerun, put the keyboard focus on the widget whose key is ``key``
    (its button; with ``kind="tab"``, the selected tab of the keyed tabs)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    st.session_state[_WANTED] = (kind, str(key))


def focus_script(key: str, kind: str, n: int, watch_ms: int = WATCH_MS) -> str:
    """The script that focuses ``key``'s widget. The key is data: JSON in the script, and a CSS
    selector only through ``CSS.escape``. The script holds no ``<`` but its tags: the page's sanitiser
    (DOMPurify) drops a script whose text has ``<`` before a letter or ``/``, and no ``</script>`` in
    a key can end it early."""
    args = json.dumps({"key": key, "kind": kind, "n": n, "watch": watch_ms}).replace("<", "\\u003c")
    return _SCRIPT % {"args": args}


def restore_focus() -> None:
    """At the end of a run: if a callback asked for it, the script that gives the focus back."""
    wanted = st.session_state.pop(_WANTED, None)
    if wanted is None:
        return
    kind, key = wanted
    n = st.session_state[_COUNT] = st.session_state.get(_COUNT, 0) + 1
    st.html(focus_script(key, kind, n), unsafe_allow_javascript=True)
