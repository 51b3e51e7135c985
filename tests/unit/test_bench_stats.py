from __future__ import annotations

from everynode.bench.stats import PhaseResult, percentile


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([], 99) == 0.0
    assert percentile([3.0], 50) == 3.0


def test_phase_figures() -> None:
    phase = PhaseResult("x", 200, 2.0, [0.001] * 200, started_at=10.0)
    figures = phase.figures()
    assert figures["per_second"] == 100.0
    assert figures["p99_ms"] == 1.0
    assert phase.ended_at == 12.0
