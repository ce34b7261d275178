"""The eval command's text report: one table per mode for a set without halves, or tune | test side
by side with bootstrap intervals, tiers, best-passage rate, content-word shares and label precision."""
from __future__ import annotations

from .evaluate import LABEL_DEPTH, LABELS, METRICS, SPLITS, TIERS


def format_report(results: list[dict]) -> str:
    """A side-by-side table: one row per (kind, metric), one column per mode."""
    modes = [r["mode"] for r in results]
    kinds = ["all"] + sorted(k for k in results[0]["metrics"] if k != "all")
    width = max(len(m) for m in modes) + 2
    lines = [f"{'kind':<12}{'n':>4}  {'metric':<8}" + "".join(f"{m:>{max(width, 8)}}" for m in modes)]
    for kind in kinds:
        for name in METRICS:
            row = [r["metrics"].get(kind, {}).get(name, float("nan")) for r in results]
            n = results[0]["metrics"].get(kind, {}).get("n", 0)
            lines.append(f"{kind if name == METRICS[0] else '':<12}{n if name == METRICS[0] else '':>4}  "
                         f"{name:<8}" + "".join(f"{v:>{max(width, 8)}.3f}" for v in row))
    lines.append("")
    for label, key in (("out-of-scope flagged low_confidence", "out_of_scope_flagged"),
                       ("in-scope wrongly flagged", "in_scope_flagged")):
        values = ["   n/a" if r[key] is None else f"{r[key]:>6.0%}" for r in results]
        lines.append(f"{label:<38}" + "  ".join(f"{m}={v.strip()}" for m, v in zip(modes, values)))
    return "\n".join(lines)


def _cell(figure: dict, percent: bool = False) -> str:
    if figure["value"] is None:
        return f"{'n/a':<22}"
    low, high = figure["ci95"]
    if percent:
        return f"{figure['value']:>4.0%} [{low:.0%}, {high:.0%}]".ljust(22)
    return f"{figure['value']:.3f} [{low:.3f}, {high:.3f}]".ljust(22)


def format_halves(report: dict) -> str:
    """Tune | test side by side: metrics and flag rates per mode with 95% intervals, the hybrid
    per-kind table, the content-word shares and the label precision."""
    by_half = report["halves"]
    first = next(iter(by_half.values()))
    head = f"{'':<8}{'':<9}" + "  ".join(
        f"{s} ({first[s]['n_answerable']} in, {first[s]['n_out_of_scope']} out)".ljust(22) for s in SPLITS)
    lines = [f"each figure: value [bootstrap 95% interval; {report['bootstrap']['resamples']} resamples of queries, "
             f"seed {report['bootstrap']['seed']}]", head]
    for mode, parts in by_half.items():
        for i, name in enumerate(METRICS):
            lines.append(f"{mode if i == 0 else '':<8}{name:<9}" + "  ".join(_cell(parts[s]["metrics"][name]) for s in SPLITS))
        for label, key in (("out flag", "out_of_scope_flagged"), ("in flag", "in_scope_flagged")):
            lines.append(f"{'':<8}{label:<9}" + "  ".join(_cell(parts[s][key], percent=True) for s in SPLITS))
    lines.append("  (out flag: out-of-scope queries flagged low_confidence, higher is better;"
                 " in flag: answerable queries flagged, lower is better)")
    if "hybrid" in by_half and "tiers" in by_half["hybrid"][SPLITS[0]]:
        lines += ["", "hybrid confidence tiers (high / medium / low)   " + "".join(f"{s:<26}" for s in SPLITS)]
        for group, name in (("answerable", "answerable"), ("out_of_scope", "out of scope")):
            cells = []
            for s in SPLITS:
                t = by_half["hybrid"][s]["tiers"][group]
                cells.append(("n/a" if t["n"] == 0 else
                              " / ".join(f"{t[tier]:.0%}" for tier in TIERS) + f"  of {t['n']}").ljust(26))
            lines.append(f"  {name:<46}" + "".join(cells))
        lines.append("  (answerable: low at most 2%; out of scope: medium or low at least 90%)")
    if "hybrid" in by_half and by_half["hybrid"][SPLITS[0]].get("best_passage", {}).get("n"):
        lines += ["", "best passage: the card of the right unit shows the passage marked best_passage"]
        lines.append("  " + "  ".join(f"{s} {_cell(by_half['hybrid'][s]['best_passage'], percent=True).strip()}"
                                      f" of {by_half['hybrid'][s]['best_passage']['n']}" for s in SPLITS))
    if "hybrid" in by_half:
        hybrid = by_half["hybrid"]
        lines += ["", "hybrid by kind     n tune/test   hit@5 tune | test    MRR tune | test"]
        kinds = sorted(set(hybrid["tune"]["per_kind"]) | set(hybrid["test"]["per_kind"]))
        for kind in kinds:
            t, e = hybrid["tune"]["per_kind"].get(kind), hybrid["test"]["per_kind"].get(kind)
            cell = lambda d, m: f"{d[m]:.3f}" if d else "  n/a"  # noqa: E731
            lines.append(f"  {kind:<16}{(t or {}).get('n', 0):>3} /{(e or {}).get('n', 0):>3}      "
                         f"{cell(t, 'hit@5')} | {cell(e, 'hit@5')}      {cell(t, 'MRR')} | {cell(e, 'MRR')}")
    shares = report["content_word_share"]
    lines += ["", "content words of the query found in its best (grade-2) answer, per answerable query:"]
    for s in SPLITS:
        w = shares[s]
        if w["median"] is not None:
            lines.append(f"  {s:<5} median {w['median']:.0%} (quartiles {w['quartiles'][0]:.0%}-{w['quartiles'][1]:.0%},"
                         f" {w['n']} queries)")
    if report.get("label_precision"):
        lines += ["", f"hybrid labels in the top {LABEL_DEPTH} of answerable queries: share in a relevant unit (grade >= 1)",
                  f"  {'label':<15}" + "".join(f"{s:<30}" for s in SPLITS)]
        for label in LABELS:
            cells = []
            for s in SPLITS:
                p = report["label_precision"][s][label]
                cells.append("n/a (0 hits)".ljust(30) if p["precision"] is None else
                             f"{p['precision']:>4.0%} [{p['ci95'][0]:.0%}, {p['ci95'][1]:.0%}] of {p['hits']}".ljust(30))
            lines.append(f"  {label:<15}" + "".join(cells))
    return "\n".join(lines)
