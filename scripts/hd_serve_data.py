#!/usr/bin/env python3
"""Writes the serving benchmark's catalog and requests from the Home Depot development
judgements (standard library only): the first 1,400 distinct queries in the order of their
SHA-256, as requests, and the titles of every product judged for them (8,290), as a catalog
CSV (id,title). Usage: hd_serve_data.py HOME_DEPOT_DIR OUT_DIR"""

import csv
import hashlib
import os
import sys

QUERIES = 1400


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, out = sys.argv[1], sys.argv[2]
    with open(os.path.join(source, "judgements.csv"), encoding="utf-8") as f:
        judgements = list(csv.DictReader(f))
    queries = sorted({j["query"] for j in judgements},
                     key=lambda q: hashlib.sha256(q.encode()).hexdigest())[:QUERIES]
    chosen = set(queries)
    products = {j["product_id"] for j in judgements if j["query"] in chosen}
    with open(os.path.join(source, "products.csv"), encoding="utf-8") as f:
        titles = {p["product_id"]: p["title"] for p in csv.DictReader(f)}
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "products.csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "title"])
        for pid in sorted(products, key=int):
            writer.writerow([pid, titles[pid]])
    with open(os.path.join(out, "queries.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(queries) + "\n")
    print(f"{len(queries)} requests, {len(products)} products in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
