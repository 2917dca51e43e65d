"""The benchmark's table (beside issue 10's targets) and its chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TARGETS = {
    "code check (wrong)": ("ratio", 0.5, 0.7),
    "code check (right)": ("ratio", 0.5, 0.7),
    "GET /me": ("ratio", 0.6, 0.8),
    "resend": ("ratio", 0.3, 0.5),
    "sign-in (password + SMS)": ("argon2", 0.8, 0.9),
}
TWIN_OF = {"code check (right)": "code check (wrong)"}  # one check twin for both answers


def ratio(results: dict[str, Any], case: str, workers: int) -> float | None:
    row = results["cases"][case]
    ours = row.get(f"otpgate_{workers}w", {}).get("rate")
    kind = TARGETS[case][0]
    if kind == "argon2":
        limit = results["argon2_limit"]["verifies_per_second"]
        return ours / limit if ours and limit else None
    twin = results["cases"][TWIN_OF.get(case, case)].get(f"twin_{workers}w", {}).get("rate")
    return ours / twin if ours and twin else None


def table(results: dict[str, Any]) -> str:
    lines = [
        f"{'case':<26}{'otpgate 1w':>12}{'2w':>9}{'twin 1w':>10}{'2w':>9}{'ratio 1w':>10}"
        f"{'2w':>7}{'target':>8}  p50/p95/p99 ms (1w)        statuses (1w)",
    ]
    for case, row in results["cases"].items():
        base = TWIN_OF.get(case, case)
        twin = results["cases"][base]
        o1, o2 = row.get("otpgate_1w", {}), row.get("otpgate_2w", {})
        t1, t2 = twin.get("twin_1w", {}), twin.get("twin_2w", {})
        r1, r2 = ratio(results, case, 1), ratio(results, case, 2)
        kind, target, _moon = TARGETS[case]
        unit = "of Argon2" if kind == "argon2" else "of twin"
        lines.append(
            f"{case:<26}{o1.get('rate', 0):>12.0f}{o2.get('rate', 0):>9.0f}"
            f"{t1.get('rate', 0):>10.0f}{t2.get('rate', 0):>9.0f}"
            f"{(r1 or 0):>10.2f}{(r2 or 0):>7.2f}{target:>8.2f}"
            f"  {o1.get('p50_ms', 0):.0f}/{o1.get('p95_ms', 0):.0f}/{o1.get('p99_ms', 0):.0f}"
            f"  {o1.get('statuses', {})}  ({unit})"
        )
    limit = results["argon2_limit"]
    lines.append(
        f"Argon2id limit: {limit['verifies_per_second']:.0f} verifies/s on {limit['cores']} cores"
    )
    for name, row in results["round_trips"].items():
        lines.append(
            f"round trips  {name:<26} postgres {row['postgres']:.1f}  redis {row['redis']:.1f}"
        )
    for workers in (1, 2):
        rss = ", ".join(f"{mib:.0f}" for mib in results.get(f"rss_{workers}w", []))
        lines.append(f"RSS per worker ({workers}w): {rss} MiB (target <= 150)")
    for case, row in results.get("nodes", {}).items():
        lines.append(
            f"HAProxy {case}: 1 node {row.get('1_nodes', 0):.0f}/s, 2 nodes "
            f"{row.get('2_nodes', 0):.0f}/s"
        )
    return "\n".join(lines)


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = list(results["cases"])
    figure, axis = plt.subplots(figsize=(9, 4.5))
    width = 0.35
    for offset, workers in ((-width / 2, 1), (width / 2, 2)):
        values = [ratio(results, case, workers) or 0 for case in cases]
        axis.bar(
            [i + offset for i in range(len(cases))], values, width, label=f"{workers} worker(s)"
        )
    for i, case in enumerate(cases):
        axis.hlines(TARGETS[case][1], i - 0.45, i + 0.45, colors="black", linestyles="dashed")
    axis.set_xticks(range(len(cases)), [c.replace(" (", "\n(") for c in cases], fontsize=8)
    axis.set_ylabel("share of the twin (sign-in: of the Argon2id limit)")
    axis.set_title("otpgate beside a bare FastAPI + asyncpg twin (dashed: target)")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
