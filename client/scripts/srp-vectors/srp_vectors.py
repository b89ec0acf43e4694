#!/usr/bin/env python3
"""Generate USER_SRP_AUTH (PASSWORD_VERIFIER) test vectors with pycognito.

Every expected value is computed by pycognito's own code (`pycognito.aws_srp`): the random
`a` and the timestamp are the only things replaced (monkeypatched), so the signature comes out
of `AWSSRP.process_challenge` exactly as pycognito would send it to Cognito. The intermediate
values (u, x, S, the HKDF key) are taken from pycognito's own helpers on the same inputs, so a
failing Rust test can say which step differs.

Inputs are fixed or derived from SHA-256 of a label (no randomness): re-running this script
gives byte-identical output.

Usage:
    pip install pycognito==2024.5.1
    python3 scripts/srp-vectors/srp_vectors.py > tests/data/srp/srp_vectors_pycognito.json
    python3 scripts/srp-vectors/srp_vectors.py --timing   # times process_challenge, prints to stderr

No network access is made (the boto3 client is replaced by a dummy object).
"""

import hashlib
import json
import sys
import time
from importlib import metadata

from pycognito import aws_srp
from pycognito.aws_srp import AWSSRP

N = aws_srp.hex_to_long(aws_srp.N_HEX)


def expand(label: str, nbytes: int) -> bytes:
    """Deterministic bytes: SHA-256(label || counter) blocks, truncated."""
    out = b""
    counter = 0
    while len(out) < nbytes:
        out += hashlib.sha256(f"{label}/{counter}".encode()).digest()
        counter += 1
    return out[:nbytes]


def det_hex(label: str, nbytes: int) -> str:
    return expand(label, nbytes).hex()


def b_value(label: str, first_byte: int) -> str:
    """A 3072-bit B below N whose top byte is `first_byte` (768 hex digits)."""
    raw = bytearray(expand(label, 384))
    raw[0] = first_byte
    value = int.from_bytes(raw, "big")
    assert 0 < value < N
    return f"{value:0768x}"


MOCK_SECRET_BLOCK = (
    "9ae77ec7154c14dcc487b47707fee4b4920cb96d8a8c045e4c8df879a7b375524aa736acdec6c9ad4ea606774d00621b"
)

# Each case: the challenge Cognito would send plus the client's fixed secret `a` (hex, 128 bytes).
CASES = [
    {
        "name": "aws-cognito-srp-compatible: a=0x01*128, salt=B=36ef01c6dde9fe503da333b1acc758ba",
        "user_pool_id": "us-west-2_abc",
        "user_id_for_srp": "user_id",
        "username": "test",
        "password": "password",
        "a_hex": "01" * 128,
        "salt_hex": "36ef01c6dde9fe503da333b1acc758ba",
        "srp_b_hex": "36ef01c6dde9fe503da333b1acc758ba",
        "secret_block_b64": MOCK_SECRET_BLOCK,
        "timestamp": "Mon Feb 10 18:30:12 UTC 2025",
    },
    {
        "name": "aws-cognito-srp-compatible: odd-length salt and B (36ef01c)",
        "user_pool_id": "us-west-2_abc",
        "user_id_for_srp": "user_id",
        "username": "test",
        "password": "password",
        "a_hex": "01" * 128,
        "salt_hex": "36ef01c",
        "srp_b_hex": "36ef01c",
        "secret_block_b64": MOCK_SECRET_BLOCK,
        "timestamp": "Mon Feb 10 18:30:12 UTC 2025",
    },
    {
        "name": "realistic: 16-byte salt, full-size B (top nibble f), UUID user id, single-digit day",
        "user_pool_id": "us-east-1_SqmNeowUd",
        "user_id_for_srp": "3f1c2b7a-9d4e-4c61-8b0f-2a9e6d5c4b3a",
        "username": "3f1c2b7a-9d4e-4c61-8b0f-2a9e6d5c4b3a",
        "password": "Correct-Horse-Battery-9",
        "a_hex": det_hex("case3/a", 128),
        "salt_hex": "5d" + det_hex("case3/salt", 15),
        "srp_b_hex": b_value("case3/B", 0xF3),
        "secret_block_b64": aws_srp.base64.standard_b64encode(expand("case3/sb", 1210)).decode(),
        "timestamp": "Mon Feb 3 08:05:09 UTC 2025",
    },
    {
        "name": "odd-length salt (31 hex digits), B top nibble 1 (no 00 prefix)",
        "user_pool_id": "eu-west-1_a1B2c3D4e",
        "user_id_for_srp": "alice",
        "username": "alice",
        "password": "hunter2!",
        "a_hex": det_hex("case4/a", 128),
        "salt_hex": ("a" + det_hex("case4/salt", 15))[:31],
        "srp_b_hex": b_value("case4/B", 0x1C),
        "secret_block_b64": aws_srp.base64.standard_b64encode(expand("case4/sb", 300)).decode(),
        "timestamp": "Thu Feb 29 23:59:59 UTC 2024",
    },
    {
        "name": "salt and B with the high bit set (padHex adds 00), a with the high bit set",
        "user_pool_id": "ap-southeast-2_Zz9Yy8Xx7",
        "user_id_for_srp": "bob@example.com",
        "username": "b0b-internal",
        "password": "P@ssw0rd with spaces",
        "a_hex": "ff" + det_hex("case5/a", 127),
        "salt_hex": "9f" + det_hex("case5/salt", 15),
        "srp_b_hex": b_value("case5/B", 0xA7),
        "secret_block_b64": aws_srp.base64.standard_b64encode(expand("case5/sb", 64)).decode(),
        "timestamp": "Sun Jan 1 00:00:00 UTC 2023",
    },
    {
        "name": "unicode user id and password (UTF-8), salt top nibble 8",
        "user_pool_id": "eu-central-1_UniCode01",
        "user_id_for_srp": "usér-名前-😀",
        "username": "usér-名前-😀",
        "password": "пароль-密码-🔑",
        "a_hex": det_hex("case6/a", 128),
        "salt_hex": "80" + det_hex("case6/salt", 15),
        "srp_b_hex": b_value("case6/B", 0x80),
        "secret_block_b64": aws_srp.base64.standard_b64encode(expand("case6/sb", 999)).decode(),
        "timestamp": "Tue Dec 31 12:34:56 UTC 2024",
    },
    {
        "name": "long password (1000 characters), region with a non-standard shape",
        "user_pool_id": "eusc-de-east-1_LongPw1",
        "user_id_for_srp": "long-password-user",
        "username": "long-password-user",
        "password": ("Aa1!" + det_hex("case7/pw", 40)) * 10 + "x" * 160,
        "a_hex": det_hex("case7/a", 128),
        "salt_hex": det_hex("case7/salt", 16),
        "srp_b_hex": b_value("case7/B", 0x42),
        "secret_block_b64": aws_srp.base64.standard_b64encode(expand("case7/sb", 2000)).decode(),
        "timestamp": "Wed Mar 1 01:02:03 UTC 2000",
    },
    {
        "name": "upper-case hex in SALT and SRP_B, B with redundant leading zeros",
        "user_pool_id": "us-west-2_UPPER",
        "user_id_for_srp": "Upper.Case",
        "username": "Upper.Case",
        "password": "upper",
        "a_hex": det_hex("case8/a", 128),
        "salt_hex": ("C0" + det_hex("case8/salt", 15)).upper(),
        "srp_b_hex": ("0000" + b_value("case8/B", 0xD1)).upper(),
        "secret_block_b64": aws_srp.base64.standard_b64encode(expand("case8/sb", 128)).decode(),
        "timestamp": "Fri Sep 9 09:09:09 UTC 2022",
    },
    {
        "name": "B >= N (unreduced B is hashed into u, reduced for S)",
        "user_pool_id": "us-west-2_BigB",
        "user_id_for_srp": "bigb",
        "username": "bigb",
        "password": "bigb-password",
        "a_hex": det_hex("case9/a", 128),
        "salt_hex": det_hex("case9/salt", 16),
        "srp_b_hex": f"{N + int.from_bytes(expand('case9/B', 40), 'big'):x}",
        "secret_block_b64": aws_srp.base64.standard_b64encode(expand("case9/sb", 48)).decode(),
        "timestamp": "Sat Oct 12 07:00:00 UTC 2030",
    },
    {
        "name": "one-digit salt, short B, small a (a = 2)",
        "user_pool_id": "us-west-2_Tiny",
        "user_id_for_srp": "tiny",
        "username": "tiny",
        "password": "t",
        "a_hex": "00" * 127 + "02",
        "salt_hex": "7",
        "srp_b_hex": "abcdef",
        "secret_block_b64": "AA==",
        "timestamp": "Thu Jan 1 00:00:00 UTC 1970",
    },
]


def run_case(case):
    a_value = int(case["a_hex"], 16)
    captured = {}

    orig_hkdf = aws_srp.compute_hkdf

    def spy_hkdf(ikm, salt):
        key = orig_hkdf(ikm, salt)
        captured["s_padded"] = bytes(ikm).hex()
        captured["u_padded"] = bytes(salt).hex()
        captured["key"] = bytes(key).hex()
        return key

    AWSSRP.generate_random_small_a = lambda self: a_value % N
    AWSSRP.get_cognito_formatted_timestamp = staticmethod(lambda _dt: case["timestamp"])
    aws_srp.compute_hkdf = spy_hkdf
    try:
        srp = AWSSRP(
            username=case["username"],
            password=case["password"],
            pool_id=case["user_pool_id"],
            client_id="unused-client-id",
            client=object(),  # never called: process_challenge makes no request
        )
        srp_a_hex = srp.get_auth_params()["SRP_A"]
        challenge = {
            "USERNAME": case["username"],
            "USER_ID_FOR_SRP": case["user_id_for_srp"],
            "SALT": case["salt_hex"],
            "SRP_B": case["srp_b_hex"],
            "SECRET_BLOCK": case["secret_block_b64"],
        }
        response = srp.process_challenge(challenge, {"USERNAME": case["username"]})
    finally:
        aws_srp.compute_hkdf = orig_hkdf

    # Intermediate values recomputed with pycognito's own helpers (same code path).
    big_b = aws_srp.hex_to_long(case["srp_b_hex"])
    u_value = aws_srp.calculate_u(srp.large_a_value, big_b)
    pool_name = case["user_pool_id"].split("_")[1]
    identity = aws_srp.hash_sha256(
        f"{pool_name}{case['user_id_for_srp']}:{case['password']}".encode("utf-8")
    )
    x_value = aws_srp.hex_to_long(aws_srp.hex_hash(aws_srp.pad_hex(case["salt_hex"]) + identity))

    assert response["PASSWORD_CLAIM_SECRET_BLOCK"] == case["secret_block_b64"]
    assert response["TIMESTAMP"] == case["timestamp"]
    assert int(captured["u_padded"], 16) == u_value

    out = dict(case)
    out["expected"] = {
        "srp_a_hex": srp_a_hex,
        "u_hex": f"{u_value:x}",
        "x_hex": f"{x_value:x}",
        "s_hex": f"{int(captured['s_padded'], 16):x}",
        "key_hex": captured["key"],
        "signature_b64": response["PASSWORD_CLAIM_SIGNATURE"],
        "username": response["USERNAME"],
    }
    return out


def timing(iterations=20):
    case = CASES[2]
    challenge = {
        "USERNAME": case["username"],
        "USER_ID_FOR_SRP": case["user_id_for_srp"],
        "SALT": case["salt_hex"],
        "SRP_B": case["srp_b_hex"],
        "SECRET_BLOCK": case["secret_block_b64"],
    }
    srp = AWSSRP(
        username=case["username"],
        password=case["password"],
        pool_id=case["user_pool_id"],
        client_id="unused",
        client=object(),
    )
    srp.process_challenge(challenge, {"USERNAME": case["username"]})  # warm-up
    start = time.perf_counter()
    for _ in range(iterations):
        srp.process_challenge(challenge, {"USERNAME": case["username"]})
    per = (time.perf_counter() - start) / iterations
    init_start = time.perf_counter()
    for _ in range(iterations):
        AWSSRP(username="u", password="p", pool_id="us-west-2_x", client_id="c", client=object())
    init = (time.perf_counter() - init_start) / iterations
    print(
        f"pycognito {metadata.version('pycognito')} on Python {sys.version.split()[0]}: "
        f"process_challenge mean {per * 1000:.2f} ms over {iterations}; "
        f"AWSSRP() (random a, A = g^a) mean {init * 1000:.2f} ms",
        file=sys.stderr,
    )


def main():
    if "--timing" in sys.argv:
        timing()
        return
    doc = {
        "_provenance": (
            "Generated by scripts/srp-vectors/srp_vectors.py with pycognito "
            f"{metadata.version('pycognito')} (pycognito.aws_srp.AWSSRP.process_challenge), "
            f"Python {sys.version.split()[0]}. Only the random a "
            "(AWSSRP.generate_random_small_a) and the timestamp "
            "(AWSSRP.get_cognito_formatted_timestamp) are monkeypatched; inputs are fixed "
            "or SHA-256-derived, so re-running reproduces this file exactly."
        ),
        "cases": [run_case(c) for c in CASES],
    }
    json.dump(doc, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
