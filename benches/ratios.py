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
base = rows.get("oneshot_without_layer", 0)
print("| case | median | ratio to floor |")
print("|---|---:|---:|")
for name, ns in sorted(rows.items(), key=lambda kv: kv[1]):
    print(f"| {name} | {ns / 1000:.2f} µs | {ns / floor:.3f} |")
for name, label in [
    ("oneshot_with_layer_uncached", "layer cost, token cache off (with − without)"),
    ("oneshot_with_layer", "layer cost, cache hit (with − without)"),
]:
    if name in rows:
        cost = rows[name] - base
        print(f"| {label} | {cost / 1000:.2f} µs | {cost / floor:.3f} |")
