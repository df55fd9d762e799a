#!/usr/bin/env python3
"""Owen values over word groups against exact Shapley values on real long requests.

For every request of QUERIES with at least MIN_WORDS words, runs
`daogou recommend --explain exact_shapley,owen_values --json` on the catalog in DATA_DIR and
compares the two explanations of each recommended product: the largest |owen - exact| (in
score units), Spearman's rho, whether the top word is the same, and the evaluations each
needed (Owen's: the coalitions it asks for, all of them among exact's). Prints one
summary table in Markdown.

Usage: scripts/owen_vs_exact.py DATA_DIR QUERIES [MIN_WORDS (default 7)]
Environment: DAOGOU_BIN (default target/release/daogou); DAOGOU_MODEL, passed on to daogou,
must name the model DATA_DIR was embedded with.
"""
import json
import os
import statistics
import subprocess
import sys


def ranks(values):
    order = sorted(range(len(values)), key=lambda i: values[i])
    r = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2
        i = j + 1
    return r


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    ma, mb = statistics.fmean(ra), statistics.fmean(rb)
    num = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    den = (sum((x - ma) ** 2 for x in ra) * sum((y - mb) ** 2 for y in rb)) ** 0.5
    return num / den if den else 1.0


def main():
    data_dir, queries = sys.argv[1], sys.argv[2]
    min_words = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    binary = os.environ.get("DAOGOU_BIN", "target/release/daogou")
    rows = {}
    with open(queries, encoding="utf-8") as f:
        requests = [q.strip() for q in f if len(q.split()) >= min_words]
    for request in requests:
        out = subprocess.run(
            [binary, "recommend", "--data-dir", data_dir, "--json",
             "--explain", "exact_shapley,owen_values", "--", request],
            capture_output=True, text=True, check=True).stdout
        for item in json.loads(out)["items"]:
            by = {e["method"]: e for e in item["explanations"]}
            exact, owen = by["exact_shapley"], by["owen_values"]
            m = len(exact["values"])
            if m < 3:
                continue
            diff = max(abs(a - b) for a, b in zip(exact["values"], owen["values"]))
            top = lambda e: max(range(m), key=lambda i: e["values"][i])
            rows.setdefault(m, []).append({
                "diff": diff, "rho": spearman(exact["values"], owen["values"]),
                "top": top(exact) == top(owen), "exact_evals": exact["model_evals"],
                # Owen's coalitions were already embedded for exact: count what it asked for.
                "owen_evals": owen["requested_evals"], "request": request})
    print(f"{len(requests)} requests of >= {min_words} words from {queries}\n")
    print("| words (features) | explanations | evaluations exact / Owen | max abs diff mean / max |"
          " Spearman mean / min | same top word |")
    print("|---|---|---|---|---|---|")
    for m in sorted(rows):
        r = rows[m]
        diffs = [x["diff"] for x in r]
        rhos = [x["rho"] for x in r]
        print(f"| {m} | {len(r)} | {max(x['exact_evals'] for x in r)} / "
              f"{max(x['owen_evals'] for x in r)} | {statistics.fmean(diffs):.4f} / "
              f"{max(diffs):.4f} | {statistics.fmean(rhos):.3f} / {min(rhos):.3f} | "
              f"{sum(x['top'] for x in r) / len(r):.0%} |")


if __name__ == "__main__":
    main()
