"""The scheduler: binds pending pods to nodes through ``pods/binding``, as kube-scheduler does.

It filters nodes by ``spec.nodeName``, ``nodeSelector``, required node affinity (including
``matchFields metadata.name``, which pins every daemon pod to its node), taints and tolerations,
cordoned nodes, and resource fit (cpu, memory, pod count); picks among the nodes that fit so that
pods spread out; and explains a pod that fits nowhere with upstream's ``FailedScheduling`` message,
retrying it when nodes or pods change.

- ``filters``: the per-node checks, pure, with upstream's wording for each reason;
- ``nodeinfo``: pod requests and per-node accounting, pure;
- ``decide``: one decision (a node, or the failure message), pure;
- ``cache``: the running account of nodes, bound pods and pods being bound;
- ``service``: ``SchedulerService``, the informers, queue and workers against a live API server.

See ``docs/scheduler.md``.
"""
