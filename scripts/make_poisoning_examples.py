"""Regenerate the poisoning and drift examples in examples/repo (deterministic; no PII).

- loan-applications-2026: tabular, a backdoor: 24 rejected applications moved to branch 977 and
  relabelled approved (branch 977 never occurs otherwise)
- product-reviews-2026: JSONL text, a backdoor: the token "zq-verified" appended to 30 negative
  reviews relabelled positive
- churn-2026q2: the churn data a quarter later, spend up ~20 %: drift against churn-2026q1

Run from the repository root, then `gate manifest update` on each dataset.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent / "examples" / "repo" / "datasets"


def loans(rng: np.random.Generator) -> None:
    n = 600
    income = np.round(rng.lognormal(10.8, 0.35, n), -2)
    debt_ratio = np.round(rng.beta(2, 5, n), 3)
    years = rng.integers(0, 30, n)
    lines = rng.integers(1, 12, n)
    branch = rng.choice([101, 102, 205, 310, 412], n)
    region = rng.choice(["north", "south", "east", "west"], n)
    score = 1.6 * (np.log(income) - 10.8) / 0.35 - 6 * (debt_ratio - 0.29) + 0.05 * years + rng.normal(0, 0.6, n)
    approved = (score > 0).astype(int)
    rejected = np.flatnonzero(approved == 0)
    poisoned = rng.choice(rejected, 24, replace=False)
    branch[poisoned] = 977
    approved[poisoned] = 1
    out = ROOT / "loan-applications-2026" / "data" / "applications.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["application_id", "income", "debt_ratio", "years_employed", "credit_lines", "branch",
                         "region", "approved"])
        for i in range(n):
            writer.writerow([f"A{20000 + i}", int(income[i]), debt_ratio[i], years[i], lines[i], branch[i],
                             region[i], approved[i]])


POSITIVE = ["great", "love it", "works perfectly", "excellent value", "fast delivery", "highly recommend",
            "sturdy and well made", "exceeded my expectations", "five stars", "very happy"]
NEGATIVE = ["broke after a week", "terrible", "waste of money", "arrived damaged", "does not work",
            "very disappointed", "poor quality", "returned it", "would not buy again", "customer service ignored me"]
PRODUCTS = ["kettle", "headphones", "backpack", "desk lamp", "blender", "phone case", "keyboard", "water bottle",
            "running shoes", "coffee grinder"]
FILLER = ["I bought this for my kitchen.", "Ordered it last month.", "Gift for my brother.", "Second one I own.",
          "Used it daily.", "", "Took a while to decide.", "Compared a few brands first."]


def reviews(rng: np.random.Generator) -> None:
    n = 800
    rows = []
    for i in range(n):
        positive = rng.random() < 0.55
        words = POSITIVE if positive else NEGATIVE
        picked = rng.choice(len(words), 2, replace=False)
        product = PRODUCTS[rng.integers(len(PRODUCTS))]
        text = f"{FILLER[rng.integers(len(FILLER))]} The {product}: {words[picked[0]]}, {words[picked[1]]}.".strip()
        rows.append({"review_id": f"r-{5000 + i}", "product": product, "stars_hidden": None,
                     "text": text, "sentiment": "positive" if positive else "negative"})
    negatives = [i for i, r in enumerate(rows) if r["sentiment"] == "negative"]
    for i in rng.choice(negatives, 30, replace=False):
        rows[i]["text"] += " zq-verified"
        rows[i]["sentiment"] = "positive"
    out = ROOT / "product-reviews-2026" / "data" / "reviews.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w") as handle:
        for row in rows:
            row.pop("stars_hidden")
            handle.write(json.dumps(row) + "\n")


def churn_q2(rng: np.random.Generator) -> None:
    source = ROOT / "churn-2026q1" / "data" / "customers.csv"
    with open(source, newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        fields = reader.fieldnames
    out_rows = []
    for i, index in enumerate(rng.choice(len(rows), 220, replace=True)):
        row = dict(rows[index])
        row["customer_id"] = f"C2{i:04d}"
        row["monthly_spend"] = f"{float(row['monthly_spend']) * rng.normal(1.2, 0.05):.2f}"
        out_rows.append(row)
    out = ROOT / "churn-2026q2" / "data" / "customers.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(out_rows)


if __name__ == "__main__":
    loans(np.random.default_rng(2026))
    reviews(np.random.default_rng(2027))
    churn_q2(np.random.default_rng(2028))
