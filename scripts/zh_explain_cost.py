#!/usr/bin/env python3
"""Features per request and explanation cost of `daogou recommend` on 50 Chinese requests.

Usage: scripts/zh_explain_cost.py BINARY OUT.json [DATA_DIR]
Runs BINARY (e.g. target/release/daogou, or an older build to compare) with
multilingual-e5-small over the demo catalog in DATA_DIR (default /tmp/daogou-demo-e5,
created on first use) for every line of scripts/zh-requests.txt, top 5 with the default
exact Shapley explanation, and prints the mean features, evaluations and explanation time.
"""
import json, subprocess, sys, os, statistics
binary, out = sys.argv[1], sys.argv[2]
data_dir = sys.argv[3] if len(sys.argv) > 3 else "/tmp/daogou-demo-e5"
requests_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zh-requests.txt")
env = dict(os.environ, DAOGOU_MODEL="multilingual-e5-small", DAOGOU_DATA_DIR=data_dir)
rows = []
for line in open(requests_file, encoding='utf-8'):
    req = line.strip()
    if not req: continue
    r = subprocess.run([binary, "recommend", req, "-k", "5", "--json"], capture_output=True, text=True, env=env, timeout=300)
    if r.returncode != 0:
        print("FAIL", req, r.stderr[-300:]); continue
    a = json.loads(r.stdout)
    feats = sum(1 for w in a["words"] if w.get("feature") is not None)
    names = [w["text"] for w in a["words"] if w.get("feature") is not None]
    rows.append(dict(request=req, features=feats, evals=a["stats"]["model_evals"], explain_ms=a["stats"]["explain_ms"],
        method=a["items"][0]["explanations"][0]["method"] if a["items"] and a["items"][0]["explanations"] else None,
        names=names, top=a["items"][0]["product"]["title"] if a["items"] else None,
        scene=(a.get("scene") or {}).get("scene")))
json.dump(rows, open(out, "w"), ensure_ascii=False, indent=1)
f=[r["features"] for r in rows]; e=[r["evals"] for r in rows]; t=[r["explain_ms"] for r in rows]
t.sort()
print(f"{len(rows)} requests: features mean {statistics.mean(f):.2f} max {max(f)}; evals mean {statistics.mean(e):.1f} max {max(e)}; explain ms mean {statistics.mean(t):.0f} p50 {t[len(t)//2]:.0f} p95 {t[int(0.95*len(t))-1]:.0f}; kernel_shap {sum(1 for r in rows if r['method']=='kernel_shap')}")
