#!/usr/bin/env python3
"""Recompute a 源头好货 daily raffle from its published files (standard library only).

The procedure (modelled on RFC 3797, with a commit-reveal seed):
  1. Before entries close the venue publishes  commit = SHA-256(server_seed)  where
     server_seed is 32 random bytes, published later as 64 lower-case hex digits.
  2. At close the entrant list is frozen: pseudonymous ids, sorted, one per line, each line
     ending in "\\n", UTF-8. list_hash = SHA-256(those bytes), published with the list.
  3. draw_seed = SHA-256(server_seed ‖ list_hash ‖ beacon), where list_hash is its 32 raw
     bytes and beacon is an optional public value fixed in advance (UTF-8; empty when none).
  4. Winners: a partial Fisher–Yates shuffle of the sorted list. Step i (0, 1, …) draws
     r = int(SHA-256(draw_seed ‖ i ‖ attempt)) (i and attempt as 4-byte big-endian integers),
     rejects r ≥ limit, where limit is the largest multiple of (n − i) not above 2**256 (so
     there is no modulo bias), and swaps entry i with entry i + r mod (n − i). The first
     k entries are the winners (all entrants when n ≤ k): distinct by construction.
  5. After the draw the venue publishes server_seed and the winners.

Usage:
  python verify_raffle.py --entrants entrants.txt --seed SERVER_SEED_HEX \\
      --commit COMMIT_HEX [--beacon TEXT] --winners-count 666 [--winners winners.txt]
It prints the recomputed winners (or compares them with --winners) and exits 1 on any mismatch.
"""
from __future__ import annotations

import argparse
import hashlib
import sys

RULES_VERSION = "yuantou-raffle-v1"


def commitment(server_seed_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(server_seed_hex)).hexdigest()


def entrant_list_bytes(pseudonyms) -> bytes:
    """The canonical published list: sorted, one id per line, each ending in a newline."""
    ids = sorted(set(pseudonyms))
    return "".join(f"{p}\n" for p in ids).encode("utf-8")


def parse_entrant_list(data: bytes) -> list[str]:
    text = data.decode("utf-8")
    if text and not text.endswith("\n"):
        raise ValueError("the entrant list must end with a newline")
    ids = text.split("\n")[:-1] if text else []
    if ids != sorted(set(ids)):
        raise ValueError("the entrant list must be sorted and without duplicates")
    return ids


def list_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def draw_seed(server_seed_hex: str, list_hash_hex: str, beacon: str = "") -> bytes:
    return hashlib.sha256(bytes.fromhex(server_seed_hex) + bytes.fromhex(list_hash_hex)
                          + beacon.encode("utf-8")).digest()


def _uniform_below(seed: bytes, step: int, bound: int) -> int:
    """A uniform integer in [0, bound) from SHA-256(seed ‖ step ‖ attempt), by rejection."""
    space = 1 << 256
    limit = space - (space % bound)
    attempt = 0
    while True:
        digest = hashlib.sha256(seed + step.to_bytes(4, "big") + attempt.to_bytes(4, "big"))
        value = int.from_bytes(digest.digest(), "big")
        if value < limit:
            return value % bound
        attempt += 1


def winners(entrants: list[str], seed: bytes, count: int) -> list[str]:
    """The first `count` entries of a seeded partial Fisher–Yates shuffle of `entrants`."""
    pool = list(entrants)
    picks = min(count, len(pool))
    for i in range(picks):
        j = i + _uniform_below(seed, i, len(pool) - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:picks]


def verify(entrants_data: bytes, server_seed_hex: str, commit_hex: str, beacon: str,
           count: int) -> list[str]:
    if commitment(server_seed_hex) != commit_hex.lower():
        raise ValueError("the revealed seed does not match the published commitment")
    entrants = parse_entrant_list(entrants_data)
    seed = draw_seed(server_seed_hex, list_hash(entrants_data), beacon)
    return winners(entrants, seed, count)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Recompute a 源头好货 daily raffle.")
    parser.add_argument("--entrants", required=True, help="the published entrant list file")
    parser.add_argument("--seed", required=True, help="the revealed server seed (hex)")
    parser.add_argument("--commit", required=True, help="the commitment published beforehand")
    parser.add_argument("--beacon", default="", help="the public beacon value, if any")
    parser.add_argument("--winners-count", type=int, required=True)
    parser.add_argument("--winners", help="the published winners file, to compare")
    args = parser.parse_args(argv)
    with open(args.entrants, "rb") as handle:
        data = handle.read()
    print(f"rules {RULES_VERSION}; entrant list SHA-256 {list_hash(data)}", file=sys.stderr)
    try:
        result = verify(data, args.seed, args.commit, args.beacon, args.winners_count)
    except ValueError as error:
        print(f"MISMATCH: {error}")
        return 1
    if args.winners:
        with open(args.winners, "rb") as handle:
            published = handle.read().decode("utf-8").split("\n")
        published = [line for line in published if line]
        if published != result:
            print("MISMATCH: the published winners differ from the recomputed ones")
            return 1
        print(f"OK: {len(result)} winners match")
    else:
        sys.stdout.write("".join(f"{w}\n" for w in result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
