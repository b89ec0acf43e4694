#!/usr/bin/env python3
"""Prints the peer comparison as ONE Markdown table of ratios to the floor.

    python3 benches/peers/table.py CRITERION_GROUP_DIR NODE_JSON CARGO_LOCK

Rust rows: criterion medians of one run of `benches/peers/benches/peers.rs`, as ratios to the
aws-lc-rs floor of that same run. Layer rows are (service_fn behind the layer) minus (service_fn
alone); tower-cognito's verified-token cache is off in its main layer row (the peers have none), and
a separate row shows a cache hit. Node rows (when NODE_JSON exists): aws-jwt-verify as a ratio to node's own crypto floor
(same process), and its absolute time divided by the Rust floor.
"""
import json
import os
import pathlib
import sys
import tomllib

group = pathlib.Path(sys.argv[1])
node_json = pathlib.Path(sys.argv[2])
lock = pathlib.Path(sys.argv[3])

rows = {}
for est in sorted(group.glob("*/new/estimates.json")):
    rows[est.parent.parent.name] = json.loads(est.read_text())["median"]["point_estimate"]
needed = [
    "floor_rsa_verify",
    "tower_cognito_verify",
    "jsonwebtoken_decode",
    "service_fn_alone",
    "tower_cognito_layer",
    "tower_cognito_layer_cached",
    "jwt_authorizer_layer",
]
missing = [n for n in needed if n not in rows]
if missing:
    sys.exit(f"missing criterion results under {group}: {', '.join(missing)}")

versions = {}
for pkg in tomllib.loads(lock.read_text())["package"]:
    versions.setdefault(pkg["name"], []).append(pkg["version"])


def v(name):
    return "/".join(versions.get(name, ["?"]))


floor = rows["floor_rsa_verify"]
base = rows["service_fn_alone"]


def us(ns):
    return f"{ns / 1000:.2f} µs"


def line(case, ns, ratio, bold=False):
    r = f"**{ratio:.2f}**" if bold else f"{ratio:.2f}"
    print(f"| {case} | {us(ns)} | {r} |")


print("| case | median | ratio to floor |")
print("|---|---:|---:|")
line(f"**floor: aws-lc-rs {v('aws-lc-rs')} RSA-2048 verify, pre-parsed key**", floor, 1.0, bold=True)
line("tower-cognito `Verifier::verify` (every rule)", rows["tower_cognito_verify"],
     rows["tower_cognito_verify"] / floor)
layer = rows["tower_cognito_layer"] - base
line("tower-cognito layer, per request (with − without), token cache off", layer, layer / floor)
line(f"jsonwebtoken {v('jsonwebtoken').split('/')[-1]} `decode`, aws-lc-rs backend (`iss`, `exp`, `alg` only)",
     rows["jsonwebtoken_decode"], rows["jsonwebtoken_decode"] / floor)
ja = rows["jwt_authorizer_layer"] - base
line(f"jwt-authorizer {v('jwt-authorizer')} layer, per request (with − without; jsonwebtoken 9 + ring)",
     ja, ja / floor)
cached = rows["tower_cognito_layer_cached"] - base
line("(tower-cognito layer, per request, default token cache: the same token again = cache hit; "
     "no peer caches)", cached, cached / floor)

if node_json.exists():
    node = json.loads(node_json.read_text())
    nfloor = node["median_ns"]["node_crypto_verify_floor"]
    awv = node["median_ns"]["aws_jwt_verify"]
    tag = f"aws-jwt-verify {node['aws_jwt_verify']} `verifySync` (node {node['node']})"
    line(f"{tag} — ratio to **node's own floor** (`crypto.verify`, OpenSSL {node['openssl']})",
         awv, awv / nfloor)
    line(f"{tag} — absolute time ÷ **the Rust floor** above", awv, awv / floor)
    line("(node's floor `crypto.verify`, pre-created KeyObject — absolute time ÷ the Rust floor)",
         nfloor, nfloor / floor)
else:
    print("| aws-jwt-verify | not run (no node) | – |")

load = os.getloadavg() if hasattr(os, "getloadavg") else None
print()
print(f"Rust: one criterion run (group `{group.name}`), medians; service_fn alone = {us(base)}. "
      + (f"Node: median of {node['repetitions']} rounds of {node['iterations']} calls after "
         f"{node['warmup']} warm-up calls. " if node_json.exists() else "")
      + (f"Load average at the end: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} "
         f"on {os.cpu_count()} CPUs." if load else ""))
