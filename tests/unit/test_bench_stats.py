from __future__ import annotations

from collections import Counter

from everynode.bench.cluster.figures import phase_figures
from everynode.bench.cluster.phases import PhaseRecord
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


def test_storage_writes_come_from_revisions_only_where_they_count_one_by_one() -> None:
    record = PhaseRecord("convergence", 0.0, 2.0, (100, 1000), Counter({"pods/create": 300}), {})
    assert record.storage_writes("sqlite:///tmp/x.db") == 900
    assert record.storage_writes("etcd://127.0.0.1:2379") is None
    sqlite = phase_figures(record, 100, [], "sqlite:///tmp/x.db")
    assert (sqlite["storage_writes"], sqlite["writes_unattributed"]) == (900, 600)
    etcd = phase_figures(record, 100, [], "etcd://127.0.0.1:2379")
    assert (etcd["storage_writes"], etcd["writes_unattributed"]) == (300, None)
    assert etcd["storage_writes_per_second"] == 150.0
