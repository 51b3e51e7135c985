"""Field paths: parsing (with the position of a mistake) and what a path reaches."""

from __future__ import annotations

import pytest

from everynode.agents.paths import PathError, parse_path, scalar_text

POD = {
    "metadata": {"annotations": {"sim.everynode.io/ready": "never", "a]b": "odd"}, "deletionTimestamp": None},
    "spec": {
        "containers": [
            {"name": "a", "image": "nginx", "readinessProbe": {"initialDelaySeconds": 3}},
            {"name": "b", "image": "foo:non-existent"},
        ]
    },
    "status": {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "False"}, {"type": "PodScheduled", "status": "True"}],
    },
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("status.phase", ["Running"]),
        ('metadata.annotations["sim.everynode.io/ready"]', ["never"]),
        ("metadata.annotations['sim.everynode.io/ready']", ["never"]),
        ('metadata.annotations["a]b"]', ["odd"]),
        ("spec.containers[*].image", ["nginx", "foo:non-existent"]),
        ("spec.containers[*].readinessProbe.initialDelaySeconds", [3]),
        ("status.conditions[type=Ready].status", ["False"]),
        ("status.conditions[type=Missing].status", []),
        ("metadata.deletionTimestamp", []),  # JSON null reaches nothing
        ("spec.nothing.deeper", []),
        ("status.phase.deeper", []),  # a string has no keys
        ("spec.containers.name", []),  # a list has no keys either
    ],
)
def test_values_reached(path: str, expected: list[object]) -> None:
    assert parse_path(path).values(POD) == expected


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("", "non-empty"),
        (".status", "unexpected '.' at 0"),
        ("status.", "ends with '.'"),
        ("status..phase", "unexpected '.' at 7"),
        ("status[", "never closed"),
        ("status[x y]", "is not [*]"),
        ('metadata.annotations["open', 'must end with "]'),
        ("status phase", "expected '.' or '[' at 6"),
        ("spec.containers[*]image", "expected '.' or '[' at 18"),
    ],
)
def test_parse_errors_say_where(path: str, problem: str) -> None:
    with pytest.raises(PathError) as caught:
        parse_path(path)
    assert problem in str(caught.value)


def test_scalars_compare_as_text() -> None:
    assert [scalar_text(v) for v in ("x", True, False, 3, 1.5, None, {}, [])] == [
        "x",
        "true",
        "false",
        "3",
        "1.5",
        None,
        None,
        None,
    ]
