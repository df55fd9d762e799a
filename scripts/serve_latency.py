#!/usr/bin/env python3
"""Recommendation latency of a running `daogou serve` on distinct requests: the 20 built-in
English requests and the 64 judged Chinese requests of the demo catalog, each asked once
in turn (no request repeats, so no cache flatters the figures), top 5 explained with SHAP.

Usage: scripts/serve_latency.py URL [ROUNDS]   (e.g. http://127.0.0.1:8080/ 2)
Prints p50/p95/max of the wall time per request and of the server's own retrieval and
explanation times, for English and Chinese requests apart.
"""
import json, os, re, sys, time, urllib.request

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
url = sys.argv[1].rstrip("/") + "/api/recommend"
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 1
english = re.findall(r'^\s+"([^"]+)",$', open(os.path.join(root, "crates/eval/src/requests.rs")).read().split("pub const REQUESTS")[1].split("];")[0], re.M)
chinese = []
for line in open(os.path.join(root, "crates/eval/data/demo_qrels_zh.tsv"), encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    request = line.split("\t")[0]
    if request not in chinese:
        chinese.append(request)


def percentiles(values):
    values = sorted(values)
    return "p50 %5.0f  p95 %5.0f  max %5.0f" % (
        values[len(values) // 2], values[max(0, int(0.95 * len(values)) - 1)], values[-1])


for name, requests in [("English", english), ("Chinese", chinese)]:
    wall, retrieval, explain = [], [], []
    for _ in range(rounds):
        for request in requests:
            body = json.dumps({"request": request, "k": 5, "explain": ["shap"]}).encode()
            started = time.time()
            with urllib.request.urlopen(urllib.request.Request(
                    url, data=body, headers={"Content-Type": "application/json"}), timeout=120) as r:
                answer = json.load(r)
            wall.append((time.time() - started) * 1000)
            retrieval.append(answer["stats"]["retrieval_ms"])
            explain.append(answer["stats"]["explain_ms"])
    print(f"{name}: {len(wall)} requests ({len(requests)} distinct)")
    print(f"  wall       {percentiles(wall)} ms")
    print(f"  retrieval  {percentiles(retrieval)} ms")
    print(f"  explain    {percentiles(explain)} ms")
