"""The raffle procedure: fair, distinct, and recomputable by anyone from the published files."""
from __future__ import annotations

import collections
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from app.campaigns import raffle, verify_raffle

SCRIPT = Path(verify_raffle.__file__)


def published_draw(n_entrants: int, k: int, beacon: str = ""):
    seed = raffle.new_server_seed()
    commit = raffle.commitment(seed)
    ids = [raffle.pseudonym("secret", 7, user_id) for user_id in range(n_entrants)]
    data = raffle.entrant_list_bytes(ids)
    drawn = raffle.winners(raffle.parse_entrant_list(data),
                           raffle.draw_seed(seed, raffle.list_hash(data), beacon), k)
    return seed, commit, data, drawn


def test_winners_are_distinct_entrants_and_exactly_k():
    seed, commit, data, drawn = published_draw(2000, 666)
    entrants = set(raffle.parse_entrant_list(data))
    assert len(drawn) == 666 == len(set(drawn)) and set(drawn) <= entrants


def test_fewer_entrants_than_prizes_all_win():
    _, _, data, drawn = published_draw(40, 666)
    assert sorted(drawn) == raffle.parse_entrant_list(data)


def test_commitment_binds_the_seed():
    seed = raffle.new_server_seed()
    assert raffle.commitment(seed) == hashlib.sha256(bytes.fromhex(seed)).hexdigest()
    other = raffle.new_server_seed()
    with pytest.raises(ValueError, match="commitment"):
        raffle.verify(b"a\nb\n", other, raffle.commitment(seed), "", 1)


def test_an_independent_reimplementation_agrees():
    """Recompute the winners from the published files with code written from the spec."""
    seed, commit, data, drawn = published_draw(1000, 100, beacon="drand:4321:abc")

    def spec_winners(entries, draw, k):
        pool = list(entries)
        for i in range(min(k, len(pool))):
            bound = len(pool) - i
            limit = (2 ** 256 // bound) * bound
            attempt = 0
            while True:
                r = int(hashlib.sha256(draw + i.to_bytes(4, "big")
                                       + attempt.to_bytes(4, "big")).hexdigest(), 16)
                if r < limit:
                    break
                attempt += 1
            j = i + r % bound
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:min(k, len(pool))]

    entries = data.decode().splitlines()
    draw = hashlib.sha256(bytes.fromhex(seed) + hashlib.sha256(data).digest()
                          + b"drand:4321:abc").digest()
    assert spec_winners(entries, draw, 100) == drawn


def test_the_standalone_script_recomputes_and_checks(tmp_path):
    seed, commit, data, drawn = published_draw(500, 50)
    (tmp_path / "entrants.txt").write_bytes(data)
    (tmp_path / "winners.txt").write_text("".join(f"{w}\n" for w in drawn))
    args = [sys.executable, "-I", str(SCRIPT), "--entrants", str(tmp_path / "entrants.txt"),
            "--seed", seed, "--commit", commit, "--winners-count", "50"]
    ok = subprocess.run(args + ["--winners", str(tmp_path / "winners.txt")],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "OK: 50 winners match" in ok.stdout
    printed = subprocess.run(args, capture_output=True, text=True)
    assert printed.stdout.split() == drawn
    (tmp_path / "winners.txt").write_text("".join(f"{w}\n" for w in reversed(drawn)))
    bad = subprocess.run(args + ["--winners", str(tmp_path / "winners.txt")],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "MISMATCH" in bad.stdout
    wrong_seed = subprocess.run(args[:6] + [raffle.new_server_seed()] + args[7:],
                                capture_output=True, text=True)
    assert wrong_seed.returncode == 1


def test_the_draw_is_uniform_enough():
    """Each of 10 entrants wins a 1-of-10 draw about equally often over many seeds."""
    entrants = [f"e{i}" for i in range(10)]
    counts = collections.Counter(
        raffle.winners(entrants, hashlib.sha256(str(s).encode()).digest(), 1)[0]
        for s in range(5000))
    assert set(counts) == set(entrants)
    assert all(380 < c < 620 for c in counts.values()), counts


def test_unsorted_or_duplicated_lists_are_refused():
    with pytest.raises(ValueError):
        raffle.parse_entrant_list(b"b\na\n")
    with pytest.raises(ValueError):
        raffle.parse_entrant_list(b"a\na\n")
    with pytest.raises(ValueError):
        raffle.parse_entrant_list(b"a\nb")
