// The node peer of benches/peers: times AWS's aws-jwt-verify (`CognitoJwtVerifier.verifySync`, JWKS
// cached up front: no network) and, in the same process, node's own floor: one RSA-2048 PKCS#1 v1.5
// SHA-256 verification with `crypto.verify` and a pre-created KeyObject, on the same signing input.
// So the node ratio is computed within node.
//
//   node verify.mjs [fixture.json] [out.json]
//
// The fixture (token, JWKS, pool and client ids) is written by the Rust peers bench or by
// `cargo run --example export` in benches/peers; default: <repo>/target/peers/fixture.json. Results
// go to <repo>/target/peers/node.json (median ns per operation) and to stderr.
//
// Bounded: per case, WARMUP calls, then REPS rounds of ITERS calls (the two cases alternate round
// by round, so that load drifts hit both); the median of the per-round means is reported.
// Override with PEERS_NODE_WARMUP, PEERS_NODE_ITERS, PEERS_NODE_REPS.

import { createPublicKey, verify } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { CognitoJwtVerifier } from "aws-jwt-verify";

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, "..", "..", "..", "target", "peers");
const fixturePath = process.argv[2] ?? join(target, "fixture.json");
const outPath = process.argv[3] ?? join(target, "node.json");

const WARMUP = Number(process.env.PEERS_NODE_WARMUP ?? 2000);
const ITERS = Number(process.env.PEERS_NODE_ITERS ?? 20000);
const REPS = Number(process.env.PEERS_NODE_REPS ?? 5);

const fixture = JSON.parse(readFileSync(fixturePath, "utf8"));
const { token, jwks, userPoolId, clientId } = fixture;

// aws-jwt-verify: the documented Cognito setup, JWKS cached so verifySync never fetches.
const verifier = CognitoJwtVerifier.create({ userPoolId, tokenUse: "access", clientId });
verifier.cacheJwks(jwks);

// Node's floor: pre-created KeyObject, pre-decoded signature, the same signing input bytes.
const dot = token.lastIndexOf(".");
const signingInput = Buffer.from(token.slice(0, dot));
const signature = Buffer.from(token.slice(dot + 1), "base64url");
const publicKey = createPublicKey({ key: jwks.keys[0], format: "jwk" });

// Sanity: both accept the token; aws-jwt-verify refuses a tampered one.
const payload = verifier.verifySync(token);
if (payload.client_id !== clientId || payload.token_use !== "access") {
  throw new Error("aws-jwt-verify returned unexpected claims");
}
if (!verify("RSA-SHA256", signingInput, publicKey, signature)) {
  throw new Error("the floor does not verify the fixture token");
}
const tampered = `${token.slice(0, dot - 2)}${token[dot - 2] === "A" ? "B" : "A"}${token.slice(dot - 1)}`;
let refused = false;
try {
  verifier.verifySync(tampered);
} catch {
  refused = true;
}
if (!refused) throw new Error("aws-jwt-verify accepted a tampered token");

let sink = 0;
const cases = {
  node_crypto_verify_floor: () => {
    if (verify("RSA-SHA256", signingInput, publicKey, signature)) sink++;
  },
  aws_jwt_verify: () => {
    if (verifier.verifySync(token).exp) sink++;
  },
};

function round(fn, n) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - start) / n;
}

const perRound = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (const fn of Object.values(cases)) round(fn, WARMUP);
for (let r = 0; r < REPS; r++) {
  for (const [name, fn] of Object.entries(cases)) perRound[name].push(round(fn, ITERS));
}
if (sink !== (WARMUP + ITERS * REPS) * 2) throw new Error("a call failed during timing");

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const result = {
  node: process.version,
  openssl: process.versions.openssl,
  aws_jwt_verify: JSON.parse(
    readFileSync(join(here, "node_modules", "aws-jwt-verify", "package.json"), "utf8"),
  ).version,
  warmup: WARMUP,
  iterations: ITERS,
  repetitions: REPS,
  median_ns: Object.fromEntries(Object.entries(perRound).map(([k, v]) => [k, median(v)])),
  rounds_ns: perRound,
};
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, `${JSON.stringify(result, null, 2)}\n`);
for (const [name, ns] of Object.entries(result.median_ns)) {
  console.error(`node: ${name}: ${(ns / 1000).toFixed(2)} µs (median of ${REPS} × ${ITERS})`);
}
console.error(
  `node: ratio aws_jwt_verify / node floor = ${(result.median_ns.aws_jwt_verify / result.median_ns.node_crypto_verify_floor).toFixed(2)}; written to ${outPath}`,
);
