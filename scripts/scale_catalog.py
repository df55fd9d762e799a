#!/usr/bin/env python3
"""Writes a catalog of N products (JSON Lines, standard library only) from real titles: the
Home Depot development products, Instacart's products (aisle as category) and the four
Leipzig catalogs (with their descriptions, manufacturers and prices). Each source product
is repeated with variations until there are N: variant k has its own id, a price moved by a
fixed pattern, and the same title, description, brand and category,
so its embedding text is the source product's and is embedded once. The variants of a
product are consecutive, so an import's batches hold few distinct texts.
Usage: scale_catalog.py SHARED_DATA_DIR N OUT.jsonl"""

import csv
import json
import os
import sys


def read(path):
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        return list(csv.DictReader(f))


def price(value):
    try:
        amount = float(str(value).replace("$", "").replace(",", "").strip())
    except ValueError:
        return None
    return amount if amount > 0 else None


def sources(data):
    hd = os.path.join(data, "home-depot-dev", "products.csv")
    for row in read(hd):
        yield {"id": f"hd-{row['product_id']}", "title": row["title"]}
    aisles = {r["aisle_id"]: r["aisle"] for r in read(os.path.join(data, "instacart", "aisles.csv"))}
    for row in read(os.path.join(data, "instacart", "products.csv")):
        yield {"id": f"ic-{row['product_id']}", "title": row["product_name"],
               "category": aisles.get(row["aisle_id"], "")}
    leipzig = os.path.join(data, "leipzig-products")
    for name, title in [("Abt", "name"), ("AmazonProducts", "title"), ("Buy", "name"),
                        ("GoogleProducts", "name")]:
        for row in read(os.path.join(leipzig, f"{name}.csv")):
            product = {"id": f"{name.lower()}-{row['id']}", "title": row.get(title) or "",
                       "description": (row.get("description") or "")[:400]}
            if row.get("manufacturer"):
                product["brand"] = row["manufacturer"]
            if price(row.get("price")):
                product["base_price"] = price(row["price"])
            yield product


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    data, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    base = [p for p in sources(data) if p["title"].strip()]
    per = -(-n // len(base))  # variants per source product, rounded up
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    written = 0
    with open(out + ".partial", "w", encoding="utf-8") as f:
        for i, product in enumerate(base):
            start = product.get("base_price") or 5.0 + (i % 97) * 3.0
            for k in range(per):
                if written == n:
                    break
                variant = {key: value for key, value in product.items() if key != "base_price"}
                variant["id"] = f"{product['id']}#{k}"
                variant["price"] = f"${start * (0.85 + 0.03 * (k % 11)):.2f}"
                f.write(json.dumps(variant, ensure_ascii=False) + "\n")
                written += 1
    os.replace(out + ".partial", out)
    print(f"{written} products from {len(base)} source products ({per} variants each at most)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
