"""Throughput of the scoring engine on one core.

Run: .venv/bin/python bench/bench_scoring.py [N]

Builds N (default 200,000) varied inputs first (random but seeded, so runs are
comparable), then times only score_referral over them. Target: >= 20,000/s.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from scoring import (  # noqa: E402
    DEFAULT_RULESET,
    ConferenceSlot,
    RepeatCounts,
    ScoreInput,
    WindowCounts,
    score_referral,
)

TARGET_PER_SECOND = 20_000
OVERRIDES = {"threat_to_life", "self_harm_risk"}


def _counts(rng: random.Random) -> WindowCounts:
    if rng.random() < 0.5:
        return WindowCounts()
    a = rng.randint(0, 3)
    b = a + rng.randint(0, 3)
    return WindowCounts(a, b, b + rng.randint(0, 4))


def build_inputs(n: int, seed: int = 2026) -> list[ScoreInput]:
    rng = random.Random(seed)
    answers = sorted(DEFAULT_RULESET.answer_keys)
    slots = [None, ConferenceSlot(1, dt.time(10)), ConferenceSlot(3, dt.time(14, 30))]
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    span = int(dt.timedelta(days=3 * 365).total_seconds())
    inputs = []
    for _ in range(n):
        # A spread from low-risk to high-risk referrals; override answers are rare.
        p = rng.choice((0.05, 0.1, 0.2, 0.35))
        risk = {k: rng.random() < (0.01 if k in OVERRIDES else p) for k in answers}
        inputs.append(
            ScoreInput(
                risk=risk,
                category=rng.choice(("personal", "nuisance", "environmental")),
                submitted_at=start + dt.timedelta(seconds=rng.randrange(span)),
                repeat=RepeatCounts(_counts(rng), _counts(rng), _counts(rng)),
                conference=rng.choice(slots),
                complaints_in_window=rng.randint(1, 4),
                hate_incidents_in_window=rng.randint(0, 1),
            )
        )
    return inputs


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    repeats = 3
    inputs = build_inputs(n)
    score = score_referral
    rules = DEFAULT_RULESET
    for inp in inputs[:1000]:  # warm the per-year holiday cache, as a running app would be
        score(inp, rules)
    bands: dict[str, int] = {}
    for inp in inputs:
        band = score(inp, rules).band
        bands[band] = bands.get(band, 0) + 1
    timings = []
    for _ in range(repeats):  # best of a few passes: less noise from other processes
        started = time.perf_counter()
        for inp in inputs:
            score(inp, rules)
        timings.append(time.perf_counter() - started)
    best = min(timings)
    rate = n / best
    print(f"scored {n:,} varied referrals x {repeats} passes on one core (best pass {best:.3f} s)")
    print(f"{rate:,.0f} referrals/second, {best / n * 1e6:.2f} µs per call")
    print(f"all passes: {', '.join(f'{n / t:,.0f}/s' for t in timings)}")
    print("bands:", ", ".join(f"{b} {bands.get(b, 0):,}" for b in rules.review_days))
    print(f"target {TARGET_PER_SECOND:,}/s: {'met' if rate >= TARGET_PER_SECOND else 'MISSED'}")


if __name__ == "__main__":
    main()
