#!/usr/bin/env python3
"""Drives a running `daogou serve` with a bounded load (standard library only): N requests,
C at a time, alternating POST /api/recommend and POST /api/explain over loopback. Reports
requests, errors, throughput, latency percentiles and the server's resident memory (VmRSS
from /proc/PID/status) before, half-way through and after the load. Called by
scripts/load-test; exits 1 when any request fails."""

import argparse
import http.client
import json
import sys
import threading
import time
from urllib.parse import urlparse

REQUESTS = [
    "warm waterproof jacket for hiking under 200 dollars",
    "a gift for my mom who loves gardening",
    "cheap wireless earbuds for running",
    "quiet coffee grinder for a small kitchen",
    "lightweight tent for two people",
    "comfortable office chair with lumbar support",
    "red running shoes",
    "noise cancelling headphones for travel",
    "stainless steel water bottle",
    "birthday present for a ten year old who likes science",
]
PAIRS = ["rain coat", "present", "sport headphones", "espresso machine", "camping gear"]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def body(i, queries=None):
    """The i-th request: with `queries`, the i-th query (cycled) as a recommendation with the
    default options (explained by exact Shapley values); otherwise even ones recommend and
    odd ones explain."""
    if queries:
        return "/api/recommend", {"request": queries[i % len(queries)]}
    text = REQUESTS[i % len(REQUESTS)]
    if i % 2 == 0:
        return "/api/recommend", {"request": text, "k": 5, "explain": ["shap"], "seed": i}
    pair = PAIRS[i % len(PAIRS)]
    return "/api/explain", {"text": text, "pair": pair, "methods": ["shap", "occlusion"], "seed": i}


def cache_counts(target):
    """(hits, misses) of the server's coalition-embedding cache, or None."""
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    try:
        conn.request("GET", "/api/metrics")
        cache = json.loads(conn.getresponse().read()).get("embedding_cache")
    except (OSError, ValueError):
        return None
    finally:
        conn.close()
    return (cache["hits"], cache["misses"]) if cache else None


def percentile(sorted_values, q):
    """Nearest-rank percentile."""
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 1))))
    return sorted_values[rank - 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--pid", type=int, required=True, help="the server's process id")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=120, help="seconds per request")
    parser.add_argument("--json", help="also write the report here")
    parser.add_argument("--duration", type=float, help="run for this many seconds instead of "
                        "a number of requests (a soak), sampling RSS every tenth of it")
    parser.add_argument("--queries", help="file of distinct requests, one per line: send "
                        "each as a default recommendation instead of the fixed mix")
    args = parser.parse_args()
    queries = None
    if args.queries:
        with open(args.queries, encoding="utf-8") as f:
            queries = [line.strip() for line in f if line.strip()]
        if not queries:
            sys.exit(f"{args.queries} holds no requests")
    if args.requests < 1 or args.concurrency < 1:
        sys.exit("--requests and --concurrency must be at least 1")
    target = urlparse(args.url)
    if target.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("the load test only drives a server on loopback")

    lock = threading.Lock()
    state = {"next": 0, "done": 0}
    latencies, errors = [], []
    by_path = {}
    # VmRSS after every tenth of the requests (the fifth is the middle).
    checkpoints = {max(1, args.requests * k // 10): k for k in range(1, 11)}
    rss_samples = {}

    deadline = None if args.duration is None else time.perf_counter() + args.duration

    def worker():
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=args.timeout)
        while True:
            with lock:
                i = state["next"]
                over = (time.perf_counter() >= deadline if deadline is not None
                        else i >= args.requests)
                if over:
                    break
                state["next"] += 1
            path, payload = body(i, queries)
            started = time.perf_counter()
            try:
                conn.request("POST", path, json.dumps(payload),
                             {"Content-Type": "application/json"})
                response = conn.getresponse()
                data = response.read()
                ok = response.status == 200 and json.loads(data) is not None
                problem = None if ok else f"{path}: {response.status} {data[:200]!r}"
            except Exception as e:  # a failed request is counted, never fatal
                problem = f"{path}: {e!r}"
                conn.close()
                conn = http.client.HTTPConnection(target.hostname, target.port,
                                                  timeout=args.timeout)
            elapsed = (time.perf_counter() - started) * 1e3
            with lock:
                latencies.append(elapsed)
                by_path.setdefault(path, []).append(elapsed)
                if problem:
                    errors.append(problem)
                state["done"] += 1
                if deadline is None and state["done"] in checkpoints:
                    rss_samples[checkpoints[state["done"]]] = rss_kib(args.pid)
        conn.close()

    rss_start = rss_kib(args.pid)
    cache_start = cache_counts(target)
    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    if deadline is not None:
        def sampler():
            for k in range(1, 11):
                time.sleep(args.duration / 10)
                rss_samples[k] = rss_kib(args.pid)
        threads.append(threading.Thread(target=sampler))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    rss_end = rss_kib(args.pid)
    cache_end = cache_counts(target)
    cache = None
    if cache_start and cache_end:
        hits, misses = (cache_end[0] - cache_start[0], cache_end[1] - cache_start[1])
        cache = {"hits": hits, "misses": misses,
                 "hit_rate": round(hits / (hits + misses), 3) if hits + misses else None}

    def summary(values):
        ordered = sorted(values)
        return {
            "p50": round(percentile(ordered, 0.50), 1),
            "p95": round(percentile(ordered, 0.95), 1),
            "max": round(ordered[-1], 1),
        }

    mib = lambda kib: round(kib / 1024, 1)  # noqa: E731
    samples = [mib(rss_samples[k]) for k in sorted(rss_samples)]
    report = {
        "requests": len(latencies),
        "concurrency": args.concurrency,
        "errors": len(errors),
        "wall_s": round(wall, 2),
        "throughput_rps": round(len(latencies) / wall, 2),
        "latency_ms": summary(latencies),
        "latency_ms_by_endpoint": {path: summary(v) for path, v in sorted(by_path.items())},
        "rss_mib": {
            "start": mib(rss_start),
            "middle": mib(rss_samples.get(5, rss_start)),
            "end": mib(rss_end),
            "every_tenth": samples,
        },
        "embedding_cache": cache,
    }
    mix = (f"distinct requests from {args.queries}" if queries
           else "recommend and explain alternating")
    print(f"requests     {report['requests']} ({args.concurrency} concurrent, {mix})")
    print(f"errors       {report['errors']}")
    print(f"throughput   {report['throughput_rps']} requests/s over {report['wall_s']} s")
    lat = report["latency_ms"]
    print(f"latency      p50 {lat['p50']} ms, p95 {lat['p95']} ms, max {lat['max']} ms")
    for path, lat in report["latency_ms_by_endpoint"].items():
        print(f"  {path:<15} p50 {lat['p50']} ms, p95 {lat['p95']} ms, max {lat['max']} ms")
    rss = report["rss_mib"]
    print(f"server RSS   start {rss['start']} MiB, middle {rss['middle']} MiB, "
          f"end {rss['end']} MiB")
    tenth = "the duration" if deadline is not None else "the requests"
    print(f"  after each tenth of {tenth}: {', '.join(map(str, samples))} MiB")
    if cache:
        print(f"embedding cache  {cache['hits']} hits, {cache['misses']} misses "
              f"(hit rate {cache['hit_rate']}) during the load")
    for problem in errors[:10]:
        print(f"  error: {problem}", file=sys.stderr)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
