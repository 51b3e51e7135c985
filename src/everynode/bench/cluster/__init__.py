"""`everynode bench cluster`: a whole cluster, as `everynode up` runs it, converging and rolling a DaemonSet.

The bench starts the API server (on ``--storage``, SQLite in a temporary directory by default, or a
throw-away etcd), the controller-manager and the node agent as child processes with the arguments
``up`` gives them, creates N simulated nodes, waits until they are Ready, and then measures, phase by
phase, through watches of its own (pods, nodes, Leases, DaemonSets, ControllerRevisions, Events):

1. ``convergence``: from the DaemonSet's create request until all N pods are Ready (one on each node,
   none being deleted) *and* the DaemonSet's status is exact; each pod's startup latency is the time
   from its ADDED event to the first event showing it Ready, both seen by the bench's watch.
2. ``rollout_max_unavailable``: an image change with ``maxUnavailable: 10%``; and
   ``rollout_max_surge``: another with ``maxSurge: 10%, maxUnavailable: 0``. Each ends like
   convergence (all pods new and Ready, status exact). After every pod event the bench counts the
   nodes without a Ready pod that is not being deleted; each event that leaves more of them than the
   budget is a violation.
3. ``steady``: nothing changes for ``--steady-seconds`` while every node renews its Lease every 10 s.

Throughout: every API call the controller-manager and node agent make is timed on their side (see
``everynode.bench.probe``), and so are the bench's own; CPU seconds and peak RSS of every process come
from ``/proc``; writes are counted per resource from the watches and in total from the storage
revision. Finally the floor: as many raw creates as the storage took during convergence, timed on
the same kind of storage in the same run (a fresh SQLite file beside the cluster's, or a fresh key
prefix of the same etcd), with 64 in flight; convergence time over that time is the ratio reported.

Results go to ``OUT/results.json`` and one PNG chart per phase.
"""

from everynode.bench.cluster.common import (
    COMPONENTS,
    DAEMONSET,
    FLOOR_CONCURRENCY,
    IMAGES,
    MINIMUM_POD_WRITES,
    NAMESPACE,
    PERCENT,
    PHASES,
    SERIES_POINTS,
    ClusterBenchOptions,
    Runner,
    budget,
)
from everynode.bench.cluster.figures import (
    assemble,
    by_key,
    cpu_figures,
    downsample,
    latency_figures,
    phase_figures,
    pod_write_figures,
)
from everynode.bench.cluster.floor import floor_dsn, measure_floor, public_dsn
from everynode.bench.cluster.main import run
from everynode.bench.cluster.observer import Observer, PhaseTrack, PodView
from everynode.bench.cluster.phases import ClusterBench, PhaseRecord, daemonset_manifest, simulated_node
from everynode.bench.cluster.processes import ClusterProcesses, TimedClient
from everynode.bench.cluster.report import summary, write_charts
from everynode.core.types import Obj

__all__ = [
    "COMPONENTS",
    "DAEMONSET",
    "FLOOR_CONCURRENCY",
    "IMAGES",
    "MINIMUM_POD_WRITES",
    "NAMESPACE",
    "PERCENT",
    "PHASES",
    "SERIES_POINTS",
    "ClusterBench",
    "ClusterBenchOptions",
    "ClusterProcesses",
    "Obj",
    "Observer",
    "PhaseRecord",
    "PhaseTrack",
    "PodView",
    "Runner",
    "TimedClient",
    "assemble",
    "budget",
    "by_key",
    "cpu_figures",
    "daemonset_manifest",
    "downsample",
    "floor_dsn",
    "latency_figures",
    "measure_floor",
    "phase_figures",
    "pod_write_figures",
    "public_dsn",
    "run",
    "simulated_node",
    "summary",
    "write_charts",
]
