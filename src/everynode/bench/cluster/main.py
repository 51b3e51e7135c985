"""The entry point: start the cluster, run the phases, stop everything and write the results."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from everynode.bench.cluster.common import COMPONENTS, ClusterBenchOptions, Runner
from everynode.bench.cluster.figures import assemble
from everynode.bench.cluster.floor import _floor
from everynode.bench.cluster.phases import ClusterBench
from everynode.bench.cluster.processes import ClusterProcesses
from everynode.bench.cluster.report import _write_results, write_charts
from everynode.bench.probe import read_calls
from everynode.spawn.etcd import EtcdProcess


def run(options: ClusterBenchOptions, runner: Runner) -> dict[str, Any]:
    """Start everything, run the phases on ``runner``'s event loop, stop everything, write the results."""
    if options.nodes < 1:
        raise ValueError("--nodes must be at least 1")
    options.out.mkdir(parents=True, exist_ok=True)
    logs = options.out / "logs"
    if logs.exists():
        shutil.rmtree(logs)
    scratch = Path(tempfile.mkdtemp(prefix="everynode-bench-"))
    etcd: EtcdProcess | None = None
    processes: ClusterProcesses | None = None
    started, load_at_start = time.monotonic(), os.getloadavg()
    try:
        if options.spawn_etcd:
            etcd = EtcdProcess().start()
        storage = etcd.dsn if etcd is not None else options.storage or f"sqlite://{scratch / 'state.db'}"
        processes = ClusterProcesses(
            storage, logs, probe=options.probe, lease_interval=options.lease_interval
        )
        processes.start()
        extra = {"etcd": etcd.process.pid} if etcd is not None and etcd.process is not None else {}
        bench = ClusterBench(options, processes, extra)
        runner(bench.run())
        totals = bench.samples()
        processes.stop()
        calls = list(bench.calls)
        if options.probe:
            for name in COMPONENTS:
                calls += read_calls(processes.probe_file(name), name)
        calls.sort(key=lambda call: call.ended)
        floor = _floor(bench, storage, runner, spawned=etcd is not None)
        result = assemble(
            options,
            bench,
            calls=calls,
            totals=totals,
            floor=floor,
            storage=storage,
            seconds_total=time.monotonic() - started,
            charts=write_charts(options.out, bench.records, bench.observer.lease_times, options.nodes),
        )
        # other work on the machine skews every figure: say how busy it was (1-minute load average)
        result["machine"] = {
            "cpus": os.cpu_count(),
            "load_average_at_start": round(load_at_start[0], 2),
            "load_average_at_end": round(os.getloadavg()[0], 2),
        }
        _write_results(options.out / "results.json", result, bench.records)
        return result
    finally:
        if processes is not None:
            processes.stop()
        if etcd is not None:
            etcd.stop()
        shutil.rmtree(scratch, ignore_errors=True)
