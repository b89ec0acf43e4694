#!/usr/bin/env python3
"""Prints the criterion results of `benches/verify.rs` as ratios to the floor (a Markdown table)."""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion/verify")
rows = {
    est.parent.parent.name: json.loads(est.read_text())["median"]["point_estimate"]
    for est in root.glob("*/new/estimates.json")
}
if "floor_rsa_verify" not in rows:
    sys.exit(f"no floor_rsa_verify result under {root}: run `cargo bench --bench verify --features test-util` first")
floor = rows["floor_rsa_verify"]


def row(label, ns):
    print(f"| {label} | {ns / 1000:.2f} µs | {ns / floor:.3f} |")


print("| case | median | ratio to floor |")
print("|---|---:|---:|")
for name, ns in sorted(rows.items(), key=lambda kv: (kv[1], kv[0])):
    row(name, ns)
# A layer's cost is its case minus the same request without the layer.
if "oneshot_without_layer" in rows:
    for name, label in [
        ("oneshot_with_layer_uncached", "layer cost, token cache off (with − without)"),
        ("oneshot_with_layer_uncached_100_pools", "layer cost, token cache off, 100 pools (with − without)"),
        ("oneshot_with_layer", "layer cost, cache hit (with − without)"),
    ]:
        if name in rows:
            row(label, rows[name] - rows["oneshot_without_layer"])
# Several pools: the routing's cost is the hostile payload's case minus the same token in four
# segments (the layer's scans of the token, refused before any routing).
for name, base, label in [
    ("reject_adversarial_payload_100_pools", "reject_malformed_100_pools",
     "several pools, routing of the adversarial payload (payload − four segments)"),
    ("reject_adversarial_payload_100_pools_8x_cap", "reject_malformed_100_pools_8x_cap",
     "the same, 8x the cap (payload − four segments)"),
]:
    if name in rows and base in rows:
        row(label, rows[name] - rows[base])
# The guard's cost is its case minus the same request (claims already in it) without the guard.
if "oneshot_without_guard" in rows:
    for name, label in [
        ("guard_pass", "guard cost, request admitted (with − without)"),
        ("guard_reject", "guard cost, request refused with a scope challenge (with − without)"),
        ("guard_step_up_pass", "step-up guard cost, request admitted (with − without)"),
        ("guard_step_up_reject", "step-up guard cost, request refused with max_age and acr_values (with − without)"),
    ]:
        if name in rows:
            row(label, rows[name] - rows["oneshot_without_guard"])
