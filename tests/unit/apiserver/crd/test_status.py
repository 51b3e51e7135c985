"""The status a definition gets once served (upstream ``pkg/controller/status/naming_controller_test.go``
``TestSync`` and the establishing controller)."""

from __future__ import annotations

import copy

from everynode.apiserver.crd.status import accepted_names, desired_status
from everynode.core.types import Obj
from tests.unit.apiserver.crd import crds

NOW, LATER = "2024-05-01T12:00:00Z", "2024-05-01T13:00:00Z"


def served(crd: Obj) -> Obj:
    """``crd`` as the naming controller left it (its names accepted)."""
    crd = copy.deepcopy(crd)
    crd["status"] = desired_status(crd, [], NOW)
    return crd


def test_fresh_names_are_accepted_and_the_definition_established() -> None:
    crd = crds.service_monitor()
    status = desired_status(crd, [], NOW)
    assert status["acceptedNames"] == {
        "plural": "servicemonitors",
        "singular": "servicemonitor",
        "shortNames": ["smon"],
        "kind": "ServiceMonitor",
        "listKind": "ServiceMonitorList",
        "categories": ["prometheus-operator"],
    }
    assert status["conditions"] == [
        {
            "type": "NamesAccepted",
            "status": "True",
            "reason": "NoConflicts",
            "message": "no conflicts found",
            "lastTransitionTime": NOW,
        },
        {
            "type": "Established",
            "status": "True",
            "reason": "InitialNamesAccepted",
            "message": "the initial names have been accepted",
            "lastTransitionTime": NOW,
        },
    ]
    assert status["storedVersions"] == ["v1"]


def test_names_taken_in_the_group_conflict() -> None:
    # "plural conflict", "kind conflict" ... the last conflict found is reported
    other = served(
        crds.definition("monitoring.example.com", "monitors", "ServiceMonitor", None, short_names=["smon"])
    )
    other["metadata"]["name"] = "monitors.monitoring.example.com"
    crd = crds.service_monitor()
    names, condition = accepted_names(crd, [other])
    assert condition == {
        "type": "NamesAccepted",
        "status": "False",
        "reason": "ListKindConflict",
        "message": '"ServiceMonitorList" is already in use',
    }
    # only the plural and the categories are free: singular, short name, kind and list kind are taken
    assert names == {"plural": "servicemonitors", "categories": ["prometheus-operator"], "kind": ""}
    status = desired_status(crd, [other], NOW)
    established = status["conditions"][1]
    assert (established["status"], established["reason"]) == ("False", "NotAccepted")


def test_other_groups_do_not_conflict() -> None:
    other = served(crds.definition("other.example.com", "servicemonitors", "ServiceMonitor", None))
    assert accepted_names(crds.service_monitor(), [other])[1]["reason"] == "NoConflicts"


def test_transition_times_move_only_with_the_status() -> None:
    crd = served(crds.service_monitor())
    again = desired_status(crd, [], LATER)
    assert [c["lastTransitionTime"] for c in again["conditions"]] == [NOW, NOW]
    crd["status"]["conditions"].append(
        {"type": "Terminating", "status": "True", "reason": "InstanceDeletionInProgress"}
    )
    assert [c["type"] for c in desired_status(crd, [], LATER)["conditions"]] == [
        "NamesAccepted",
        "Established",
        "Terminating",
    ]


def test_stored_versions_keep_history() -> None:
    crd = served(crds.service_monitor())
    crd["spec"]["versions"][0]["name"] = "v2"
    assert desired_status(crd, [], LATER)["storedVersions"] == ["v1", "v2"]
