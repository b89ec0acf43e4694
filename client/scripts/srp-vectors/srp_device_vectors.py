#!/usr/bin/env python3
"""Generate device SRP (remembered devices) test vectors with pycognito.

Two kinds of cases, every expected value computed by pycognito's own code (`pycognito.aws_srp`):
- `verifier_cases`: `generate_hash_device(device_group_key, device_key)`, the device password,
  salt and verifier that `ConfirmDevice` sends. Only `os.urandom` (inside `aws_srp`) is replaced,
  to hand out the case's 40 password bytes, then its 16 salt bytes. Intermediates: the salt as
  padHex, x, and the verifier as padHex.
- `claim_cases`: `AWSSRP.process_device_challenge`, the `DEVICE_PASSWORD_VERIFIER` answer. Only
  the random a (`AWSSRP.generate_random_small_a`) and the clock (`aws_srp.datetime`) are
  replaced. Intermediates (u, x, S, the HKDF key) from pycognito's own helpers and its
  `compute_hkdf` (spied on). Same schema as srp_vectors_pycognito.json, with `pool_name` = the
  device group key and `user_id_for_srp` = the device key.

Inputs are fixed or derived from SHA-256 of a label: re-running gives byte-identical output.

Usage (from client/):
    pip install pycognito==2024.5.1
    python3 scripts/srp-vectors/srp_device_vectors.py > tests/data/srp/srp_device_vectors_pycognito.json

No network access is made (the boto3 client is replaced by a dummy object).
"""

import base64
import hashlib
import json
import sys
from importlib import metadata

from pycognito import aws_srp
from pycognito.aws_srp import AWSSRP

N = aws_srp.hex_to_long(aws_srp.N_HEX)


def expand(label: str, nbytes: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < nbytes:
        out += hashlib.sha256(f"{label}/{counter}".encode()).digest()
        counter += 1
    return out[:nbytes]


def b_value(label: str, first_byte: int) -> str:
    raw = bytearray(expand(label, 384))
    raw[0] = first_byte
    value = int.from_bytes(raw, "big")
    assert 0 < value < N
    return f"{value:0768x}"


def with_first(label: str, n: int, first: bytes) -> str:
    return (first + expand(label, n - len(first))).hex()


# device_group_key, device_key, the 40 random bytes of the password, the 16 random salt bytes.
VERIFIER_CASES = [
    {
        "name": "realistic keys, salt top nibble 3",
        "device_group_key": "-dGhpc2lzYQ",
        "device_key": "us-east-1_2f0d9b1e-7a4c-4e8b-9c3d-5e6f7a8b9c0d",
        "password_bytes_hex": expand("v1/pw", 40).hex(),
        "salt_bytes_hex": with_first("v1/salt", 16, b"\x3a"),
    },
    {
        "name": "salt with the high bit set (padHex adds 00: 17 bytes)",
        "device_group_key": "-Zq8Xw2Lk",
        "device_key": "eu-west-1_9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        "password_bytes_hex": expand("v2/pw", 40).hex(),
        "salt_bytes_hex": with_first("v2/salt", 16, b"\xc7"),
    },
    {
        "name": "salt with a leading zero byte (dropped: 15 bytes)",
        "device_group_key": "-AbCdEfGhI",
        "device_key": "ap-southeast-2_01234567-89ab-4cde-8f01-23456789abcd",
        "password_bytes_hex": expand("v3/pw", 40).hex(),
        "salt_bytes_hex": with_first("v3/salt", 16, b"\x00\x5e"),
    },
    {
        "name": "salt 00 then a high byte (one 00 dropped, one added back)",
        "device_group_key": "-k3y",
        "device_key": "us-west-2_ffffffff-ffff-4fff-bfff-ffffffffffff",
        "password_bytes_hex": ("ff" * 40),
        "salt_bytes_hex": with_first("v4/salt", 16, b"\x00\x93"),
    },
    {
        "name": "the aws-cognito-srp mock keys",
        "device_group_key": "mock-device-group-key",
        "device_key": "mock-device-key",
        "password_bytes_hex": expand("v5/pw", 40).hex(),
        "salt_bytes_hex": with_first("v5/salt", 16, b"\x01"),
    },
]

CLAIM_CASES = [
    {
        "name": "aws-cognito-srp device inputs (mock keys, password, salt=B=36ef01c6...)",
        "pool_name": "mock-device-group-key",
        "user_id_for_srp": "mock-device-key",
        "username": "user_id",
        "password": "password",
        "a_hex": bytes(i % 8 for i in range(128)).hex(),
        "salt_hex": "36ef01c6dde9fe503da333b1acc758ba",
        "srp_b_hex": "36ef01c6dde9fe503da333b1acc758ba",
        "secret_block_b64": "9ae77ec7154c14dcc487b47707fee4b4920cb96d8a8c045e4c8df879a7b375524aa736acdec6c9ad4ea606774d00621b",
        "timestamp": "Mon Feb 10 18:30:12 UTC 2025",
    },
    {
        "name": "realistic: a generated device password, 16-byte salt, full-size B",
        "pool_name": "-dGhpc2lzYQ",
        "user_id_for_srp": "us-east-1_2f0d9b1e-7a4c-4e8b-9c3d-5e6f7a8b9c0d",
        "username": "3f1c2b7a-9d4e-4c61-8b0f-2a9e6d5c4b3a",
        "password": base64.standard_b64encode(expand("c2/pw", 40)).decode(),
        "a_hex": expand("c2/a", 128).hex(),
        "salt_hex": with_first("c2/salt", 16, b"\x3a"),
        "srp_b_hex": b_value("c2/B", 0xE1),
        "secret_block_b64": base64.standard_b64encode(expand("c2/sb", 1100)).decode(),
        "timestamp": "Tue Mar 4 09:10:11 UTC 2025",
    },
    {
        "name": "salt with padHex 00 (as ConfirmDevice stored it), B top nibble 1",
        "pool_name": "-Zq8Xw2Lk",
        "user_id_for_srp": "eu-west-1_9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        "username": "bob",
        "password": base64.standard_b64encode(expand("c3/pw", 40)).decode(),
        "a_hex": "ff" + expand("c3/a", 127).hex(),
        "salt_hex": "00" + with_first("c3/salt", 16, b"\xc7"),
        "srp_b_hex": b_value("c3/B", 0x1B),
        "secret_block_b64": base64.standard_b64encode(expand("c3/sb", 64)).decode(),
        "timestamp": "Sun Dec 31 23:59:59 UTC 2023",
    },
    {
        "name": "B >= N, odd-length salt",
        "pool_name": "-AbCdEfGhI",
        "user_id_for_srp": "ap-southeast-2_01234567-89ab-4cde-8f01-23456789abcd",
        "username": "carol",
        "password": base64.standard_b64encode(expand("c4/pw", 40)).decode(),
        "a_hex": expand("c4/a", 128).hex(),
        "salt_hex": with_first("c4/salt", 16, b"\x05")[1:],
        "srp_b_hex": f"{N + int.from_bytes(expand('c4/B', 40), 'big'):x}",
        "secret_block_b64": base64.standard_b64encode(expand("c4/sb", 48)).decode(),
        "timestamp": "Wed Jan 1 00:00:00 UTC 2031",
    },
]


def run_verifier_case(case):
    queue = [bytes.fromhex(case["password_bytes_hex"]), bytes.fromhex(case["salt_bytes_hex"])]
    orig = aws_srp.os.urandom

    def fake_urandom(n):
        chunk = queue.pop(0)
        assert len(chunk) == n, (len(chunk), n)
        return chunk

    aws_srp.os.urandom = fake_urandom
    try:
        password, config = aws_srp.generate_hash_device(case["device_group_key"], case["device_key"])
    finally:
        aws_srp.os.urandom = orig
    assert not queue
    salt = aws_srp.pad_hex(int(case["salt_bytes_hex"], 16))
    identity = aws_srp.hash_sha256(
        f"{case['device_group_key']}{case['device_key']}:{password}".encode("utf-8")
    )
    x_value = aws_srp.hex_to_long(aws_srp.hex_hash(salt + identity))
    verifier = aws_srp.pad_hex(pow(2, x_value, N))
    assert base64.standard_b64decode(config["PasswordVerifier"]).hex() == verifier
    assert base64.standard_b64decode(config["Salt"]).hex() == salt
    out = dict(case)
    out["expected"] = {
        "device_password": password,
        "salt_padhex": salt,
        "x_hex": f"{x_value:x}",
        "verifier_padhex": verifier,
        "password_verifier_b64": config["PasswordVerifier"],
        "salt_b64": config["Salt"],
    }
    return out


class FakeNow:
    def __init__(self, text):
        self.text = text

    def strftime(self, _fmt):
        return self.text


def run_claim_case(case):
    a_value = int(case["a_hex"], 16)
    captured = {}
    orig_hkdf = aws_srp.compute_hkdf
    orig_datetime = aws_srp.datetime

    def spy_hkdf(ikm, salt):
        key = orig_hkdf(ikm, salt)
        captured["s_padded"] = bytes(ikm).hex()
        captured["key"] = bytes(key).hex()
        return key

    class FakeDatetimeModule:
        class datetime:
            @staticmethod
            def utcnow():
                return FakeNow(case["timestamp"])

    AWSSRP.generate_random_small_a = lambda self: a_value % N
    aws_srp.compute_hkdf = spy_hkdf
    aws_srp.datetime = FakeDatetimeModule
    try:
        srp = AWSSRP(
            username=case["username"],
            password="unused-user-password",
            pool_id="us-east-1_unused",
            client_id="unused-client-id",
            client=object(),
            device_key=case["user_id_for_srp"],
            device_group_key=case["pool_name"],
            device_password=case["password"],
        )
        srp_a_hex = aws_srp.long_to_hex(srp.large_a_value)
        response = srp.process_device_challenge(
            {
                "USERNAME": case["username"],
                "SALT": case["salt_hex"],
                "SRP_B": case["srp_b_hex"],
                "SECRET_BLOCK": case["secret_block_b64"],
            }
        )
    finally:
        aws_srp.compute_hkdf = orig_hkdf
        aws_srp.datetime = orig_datetime
    big_b = aws_srp.hex_to_long(case["srp_b_hex"])
    u_value = aws_srp.calculate_u(srp.large_a_value, big_b)
    identity = aws_srp.hash_sha256(
        f"{case['pool_name']}{case['user_id_for_srp']}:{case['password']}".encode("utf-8")
    )
    x_value = aws_srp.hex_to_long(aws_srp.hex_hash(aws_srp.pad_hex(case["salt_hex"]) + identity))
    assert response["TIMESTAMP"] == case["timestamp"]
    assert response["DEVICE_KEY"] == case["user_id_for_srp"]
    assert response["PASSWORD_CLAIM_SECRET_BLOCK"] == case["secret_block_b64"]
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


def main():
    doc = {
        "_provenance": (
            "Generated by scripts/srp-vectors/srp_device_vectors.py with pycognito "
            f"{metadata.version('pycognito')} on Python {sys.version.split()[0]}: "
            "verifier_cases from pycognito.aws_srp.generate_hash_device (only os.urandom "
            "replaced), claim_cases from AWSSRP.process_device_challenge (only the random a and "
            "the clock replaced). Inputs are fixed or SHA-256-derived."
        ),
        "verifier_cases": [run_verifier_case(c) for c in VERIFIER_CASES],
        "claim_cases": [run_claim_case(c) for c in CLAIM_CASES],
    }
    json.dump(doc, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
