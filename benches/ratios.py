#!/usr/bin/env python3
"""Prints the criterion results of `benches/verify.rs` as ratios to the floor (a Markdown table)."""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion/verify")
rows = {}
for est in sorted(root.glob("*/new/estimates.json")):
    data = json.loads(est.read_text())
    rows[est.parent.parent.name] = data["median"]["point_estimate"]
if "floor_rsa_verify" not in rows:
    sys.exit(f"no floor_rsa_verify result under {root}: run `cargo bench --bench verify --features test-util` first")
floor = rows["floor_rsa_verify"]
layer = rows.get("oneshot_with_layer", 0) - rows.get("oneshot_without_layer", 0)
print("| case | median | ratio to floor |")
print("|---|---:|---:|")
for name, ns in sorted(rows.items(), key=lambda kv: kv[1]):
    print(f"| {name} | {ns / 1000:.2f} µs | {ns / floor:.2f} |")
if "oneshot_with_layer" in rows:
    print(f"| layer cost (with − without) | {layer / 1000:.2f} µs | {layer / floor:.2f} |")
