"""Tables and goal lines for bench/live.py: plain text for a terminal, or Markdown for RESULTS.md.

A goal line is computed from the figure it judges, never written by hand: `goal()` compares a
measured value with its target and says met or NOT met (or "not measured" when the figure is
missing), so a run that misses a goal says so.
"""
import math
import operator

OPS = {"<=": operator.le, ">=": operator.ge, "==": operator.eq}


def num(x):
    return isinstance(x, (int, float)) and not (isinstance(x, float) and math.isnan(x))


def ratio(x, digits=2):
    return f"{x:.{digits}f}x" if num(x) else "-"


def fmt(x, spec=".0f", unit=""):
    return f"{x:{spec}}{unit}" if num(x) else "-"


def table(headers, rows, markdown):
    """Rows of strings under headers: a Markdown pipe table, or columns padded for a terminal."""
    rows = [[str(c) for c in r] for r in rows]
    if markdown:
        out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(out)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def goal(what, measured, op, target, unit="x", spec=".2f"):
    """One line: the goal, the measured figure, and whether it is met (computed here)."""
    want = f"{what} {op} {target:{spec}}{unit}"
    if not num(measured):
        return f"goal: {want}; measured: -; not measured"
    verdict = "met" if OPS[op](measured, target) else "NOT met"
    shown = f"{measured:{spec}}"
    if shown == f"{target:{spec}}" and measured != target and spec.endswith("f"):
        # 1.104 against 1.10 must not read "1.10x: NOT met": one more digit shows why.
        shown = f"{measured:.{int(spec[1:-1]) + 1}f}"
    return f"goal: {want}; measured {shown}{unit}: {verdict}"
