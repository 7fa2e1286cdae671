"""Writes ``bench/results/SUMMARY.md``: every benchmark's latest figures beside their targets.

uv run python -m bench.summary
"""

from __future__ import annotations

import json

from bench.common import RESULTS, console


def main() -> None:
    lines = ["# Benchmark results", "", "Written by `make bench` (`python -m bench.summary`).", ""]
    for path in sorted(RESULTS.glob("*.json")):
        result = json.loads(path.read_text())
        lines += [f"## {result.get('benchmark', path.stem)} ({result.get('at', '?')[:16]})", ""]
        rows = result.get("rows")
        if not rows:
            lines += [f"(no table in {path.name}; run its benchmark again)", ""]
            continue
        lines += ["| measure | value | target |", "|---|---|---|"]
        lines += [f"| {m} | {v} | {t} |" for m, v, t in rows]
        lines.append("")
    out = RESULTS / "SUMMARY.md"
    out.write_text("\n".join(lines))
    console.print(f"written to {out}")


if __name__ == "__main__":
    main()
