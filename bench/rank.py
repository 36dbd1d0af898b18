"""Mean rank and head-to-head counts from `bench/accuracy.py --json` dumps.

For each dataset, the systems' AMLB scores (binary: ROC AUC, higher is better; multiclass:
log loss and regression: RMSE, lower is better) are ranked (1 = best, ties share the mean
rank); the table gives each system's mean rank over the datasets where all the systems named
with --systems ran, and, for each pair given with --versus, on how many datasets the first is
at least as good as the second (within a relative tolerance, default 0.1 % of the error).

Usage:
    python bench/rank.py run1.json run2.json --systems ours:high_speed,ours:balanced,\\
        lightgbm:default,autogluon:medium_quality \\
        --versus ours:balanced=autogluon:medium_quality,ours:balanced=ours:high_speed
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

HIGHER_IS_BETTER = {"binary": True, "multiclass": False, "regression": False}


def error(kind: str, score: float) -> float:
    """Lower is better for every task (1 - AUC for binary)."""
    return 1.0 - score if HIGHER_IS_BETTER[kind] else score


def load(paths: list[str]) -> dict[str, dict[str, tuple[str, float]]]:
    """dataset -> system -> (kind, error); a later file's row replaces an earlier one."""
    table: dict[str, dict[str, tuple[str, float]]] = defaultdict(dict)
    for path in paths:
        for row in json.loads(Path(path).read_text()):
            if row.get("score") is None:
                continue
            table[row["dataset"]][row["system"]] = (row["kind"], error(row["kind"], row["score"]))
    return table


def ranks(errors: dict[str, float]) -> dict[str, float]:
    ordered = sorted(errors.values())
    return {s: ordered.index(e) + 1 + (ordered.count(e) - 1) / 2 for s, e in errors.items()}


def at_least_as_good(a: float, b: float, tolerance: float) -> bool:
    return a <= b * (1 + tolerance) + 1e-12


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("json", nargs="+")
    p.add_argument("--systems", required=True)
    p.add_argument("--versus", default="", help="a=b,c=d: count datasets where a >= b")
    p.add_argument("--tolerance", type=float, default=0.001)
    args = p.parse_args(argv)
    systems = args.systems.split(",")
    table = load(args.json)
    complete = sorted(d for d, got in table.items() if all(s in got for s in systems))
    print("| dataset | " + " | ".join(systems) + " |")
    print("|---" * (len(systems) + 1) + "|")
    totals = defaultdict(float)
    for dataset in complete:
        errors = {s: table[dataset][s][1] for s in systems}
        r = ranks(errors)
        for s in systems:
            totals[s] += r[s]
        print(f"| {dataset} | " + " | ".join(f"{r[s]:g}" for s in systems) + " |")
    n = max(len(complete), 1)
    print("| **mean rank** | " + " | ".join(f"**{totals[s] / n:.2f}**" for s in systems) + " |")
    print(f"\n{len(complete)} datasets with every system.")
    for pair in filter(None, args.versus.split(",")):
        a, b = pair.split("=")
        both = [d for d in table if a in table[d] and b in table[d]]
        wins = [d for d in both if at_least_as_good(table[d][a][1], table[d][b][1],
                                                     args.tolerance)]
        losses = sorted(set(both) - set(wins))
        worst = max((table[d][a][1] / max(table[d][b][1], 1e-12) for d in losses), default=1.0)
        print(f"- {a} at least as good as {b}: {len(wins)} of {len(both)}"
              + (f" (worse on {', '.join(losses)}; worst error ratio {worst:.3f})"
                 if losses else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
