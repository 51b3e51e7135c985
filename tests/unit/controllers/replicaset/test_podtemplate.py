"""The generated names of a ReplicaSet's pods: upstream ``getPodsPrefix`` (replica_set.go). The rest of
``GetPodFromTemplate`` is checked through a sync in ``test_sync.py``."""

from __future__ import annotations

import pytest

from everynode.controllers.replicaset.podtemplate import generate_name


@pytest.mark.parametrize(("name", "prefix"), [("web", "web-"), ("a.b", "a.b-"), ("r" * 253, "r" * 253 + "-")])
def test_generate_name(name: str, prefix: str) -> None:
    """``getPodsPrefix``: the dash is added whenever the prefix validates (a trailing dash is masked,
    so even a 253-character name takes one; the server truncates the generated name)."""
    assert generate_name(name) == prefix
