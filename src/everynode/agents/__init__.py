"""The node agent: simulated kubelets for every Node annotated ``everynode.io/simulated: "true"``.

One process serves thousands of nodes through two shared watches (all nodes, all pods). What happens
to a pod or a node is data, not code: a stage file (``stages/fast.yaml`` by default) lists stages, each
a selector, a delay with jitter, and a next step (a status to render, or a delete).

- ``paths``: the field paths selectors read (``metadata.annotations["a/b"]``, ``spec.containers[*].image``);
- ``stages``: the stage model, and the loader that validates a stage file with clear errors;
- ``renderers``: the statuses a stage can write (pod running, ready, failed…; node ready, heartbeat), pure;
- ``lifecycle``: which stage applies to an object now, its delay, and what it writes — pure;
- ``leases``: Lease renewal spread evenly over the interval (pure schedule, thin I/O renewer);
- ``nodeagent``: ``NodeAgentService``, the informers, the delaying queue and the workers.

See ``docs/node-agent.md``.
"""
