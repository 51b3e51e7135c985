"""Field selectors: the cases follow apimachinery's pkg/fields tests and kube-apiserver's registries."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from everynode.core import labels
from everynode.core.fields import (
    EVERYTHING,
    FieldRequirement,
    FieldSelector,
    SelectorError,
    check_supported,
    escape_value,
    object_fields,
    parse_field_selector,
    supported_fields,
    unescape_value,
)


def test_one_error_type_for_both_kinds_of_selector() -> None:
    assert SelectorError is labels.SelectorError


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("", ""),
        ("x=a,y=b,z=c", "x=a,y=b,z=c"),
        ("z=c,x=a", "x=a,z=c"),
        ("x!=a,y=b", "x!=a,y=b"),
        ("x==a", "x=a"),
        (r"x=a||y\=b", r"x=a||y\=b"),
        (r"x=a\=\=b", r"x=a\=\=b"),
        ("x=a!b", "x=a!b"),
        ("a=b,", "a=b"),
        (",,a=b", "a=b"),
        ("=", ""),
        ("=x", "=x"),
        ("x=", "x="),
        (r"k=\,,k2=v2", r"k2=v2,k=\,"),
        (r"k=\\,k2=v2", r"k2=v2,k=\\"),
        ("함=수,목=록", "목=록,함=수"),
    ],
)
def test_parse_prints_back(text: str, printed: str) -> None:
    assert str(parse_field_selector(text)) == printed


def test_parse_gives_requirements() -> None:
    selector = parse_field_selector(r"spec.nodeName=n1,status.phase!=Failed,metadata.name==a\,b")
    assert selector.requirements == (
        FieldRequirement("metadata.name", "=", "a,b"),
        FieldRequirement("spec.nodeName", "=", "n1"),
        FieldRequirement("status.phase", "!=", "Failed"),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x", "invalid selector: 'x'; can't understand 'x'"),
        ("x=a,b", "invalid selector: 'x=a,b'; can't understand 'b'"),
        ("x in (a)", "invalid selector: 'x in (a)'; can't understand 'x in (a)'"),
        ("x in (a,b,c)", "invalid selector: 'x in (a,b,c)'; can't understand 'b'"),
        ("x=a||y=b", "invalid field selector: unescaped character in value: 61"),
        ("x==a==b", "invalid field selector: unescaped character in value: 61"),
        ("x===a", "invalid field selector: unescaped character in value: 61"),
        (r"k=\a", r"invalid field selector: invalid escape sequence: \a"),
        (r"k=\!", r"invalid field selector: invalid escape sequence: \!"),
        ("k=\\", "invalid field selector: invalid escape sequence: \\"),
    ],
)
def test_parse_rejects_with_upstream_wording(text: str, message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        parse_field_selector(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [("", ""), ("a", "a"), ("=", r"\="), (",", r"\,"), ("\\", "\\\\"), ("\\=\\,\\", r"\\\=\\\,\\")],
)
def test_escape_and_unescape(raw: str, escaped: str) -> None:
    assert escape_value(raw) == escaped
    assert unescape_value(escaped) == raw


@pytest.mark.parametrize("bad", ["\\", "\\\\\\", r"\a"])
def test_unescape_rejects_orphan_and_unknown_escapes(bad: str) -> None:
    with pytest.raises(SelectorError, match="invalid escape sequence"):
        unescape_value(bad)


@given(st.text())
def test_any_value_survives_escaping(value: str) -> None:
    assert unescape_value(escape_value(value)) == value
    assert parse_field_selector("f=" + escape_value(value)).value_for("f") == value


@given(st.dictionaries(st.sampled_from(["a", "b.c", "d"]), st.text(), max_size=3))
def test_printed_selector_parses_back_to_itself(terms: dict[str, str]) -> None:
    text = ",".join(f"{name}={escape_value(value)}" for name, value in terms.items())
    selector = parse_field_selector(text)
    assert parse_field_selector(str(selector)) == selector
    assert selector.matches(terms)


@pytest.mark.parametrize(
    ("text", "fields", "expected"),
    [
        ("", {"x": "y"}, True),
        ("x=y", {"x": "y"}, True),
        ("x=y,z=w", {"x": "y", "z": "w"}, True),
        ("x=y", {"x": "z"}, False),
        ("x=y,z=w", {"x": "w", "z": "w"}, False),
        ("x!=y,z!=w", {"x": "z", "z": "a"}, True),
        ("x!=y,z!=w", {"x": "z", "z": "w"}, False),
        ("notin=in", {"notin": "in"}, True),
        ("x=", {"x": ""}, True),
        ("x=", {}, True),
        ("x=", {"x": "a"}, False),
        ("x!=", {}, False),
        ("x!=", {"x": "a"}, True),
        ("x=y", {}, False),
        ("x!=y", {}, True),
        ("foo=bar,baz=blah", {"foo": "bar", "baz": "blah"}, True),
        ("foo=bar,foobar=bar,baz=blah", {"foo": "bar", "baz": "blah"}, False),
        (r"complex=\=value\\\,\\", {"complex": "=value\\,\\"}, True),
    ],
)
def test_matches(text: str, fields: dict[str, str], expected: bool) -> None:
    assert parse_field_selector(text).matches(fields) is expected


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("", "test", None),
        ("a=b", "test", None),
        ("test=b", "test", "b"),
        ("test==b", "test", "b"),
        ("test=", "test", ""),
        ("test!=b", "test", None),
        ("a=c,test=b", "test", "b"),
    ],
)
def test_value_for(text: str, field: str, value: str | None) -> None:
    assert parse_field_selector(text).value_for(field) == value


def test_fields_used_and_emptiness() -> None:
    selector = parse_field_selector("spec.nodeName=n,status.phase!=Succeeded,status.phase!=Failed")
    assert selector.fields_used() == {"spec.nodeName", "status.phase"}
    assert not selector.is_empty()
    assert EVERYTHING.is_empty()
    assert parse_field_selector("").is_empty()
    assert parse_field_selector(",").is_empty()
    assert FieldSelector() == EVERYTHING


POD: dict[str, Any] = {
    "metadata": {"name": "agent-x", "namespace": "kube-system", "labels": {"app": "agent"}},
    "spec": {
        "nodeName": "node-1",
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "serviceAccountName": "agent",
        "hostNetwork": True,
    },
    "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.7"}], "nominatedNodeName": "node-2"},
}
EVENT: dict[str, Any] = {
    "metadata": {"name": "agent.17a", "namespace": "kube-system"},
    "involvedObject": {
        "kind": "DaemonSet",
        "namespace": "kube-system",
        "name": "agent",
        "uid": "u-1",
        "apiVersion": "apps/v1",
        "resourceVersion": "42",
    },
    "reason": "SuccessfulCreate",
    "type": "Normal",
    "reportingComponent": "daemonset-controller",
}


def test_pod_fields() -> None:
    assert object_fields("pods", POD) == {
        "metadata.name": "agent-x",
        "metadata.namespace": "kube-system",
        "spec.nodeName": "node-1",
        "spec.restartPolicy": "Always",
        "spec.schedulerName": "default-scheduler",
        "spec.serviceAccountName": "agent",
        "spec.hostNetwork": "true",
        "status.phase": "Running",
        "status.podIP": "10.0.0.7",
        "status.nominatedNodeName": "node-2",
    }


def test_pod_fields_of_a_bare_pod() -> None:
    fields = object_fields("pods", {"metadata": {"name": "p"}, "spec": {"serviceAccount": "legacy"}})
    assert fields["spec.hostNetwork"] == "false"
    assert fields["spec.nodeName"] == ""
    assert fields["status.podIP"] == ""
    assert fields["metadata.namespace"] == ""
    assert fields["spec.serviceAccountName"] == "legacy"


def test_pod_ip_prefers_status_pod_ip() -> None:
    pod = {"status": {"podIP": "10.0.0.1", "podIPs": [{"ip": "10.0.0.9"}]}}
    assert object_fields("pods", pod)["status.podIP"] == "10.0.0.1"


def test_event_fields() -> None:
    fields = object_fields("events", EVENT)
    assert fields == {
        "metadata.name": "agent.17a",
        "metadata.namespace": "kube-system",
        "involvedObject.kind": "DaemonSet",
        "involvedObject.namespace": "kube-system",
        "involvedObject.name": "agent",
        "involvedObject.uid": "u-1",
        "involvedObject.apiVersion": "apps/v1",
        "involvedObject.resourceVersion": "42",
        "involvedObject.fieldPath": "",
        "reason": "SuccessfulCreate",
        "reportingComponent": "daemonset-controller",
        "source": "daemonset-controller",  # no source.component: falls back to reportingComponent
        "type": "Normal",
    }
    assert object_fields("events", {**EVENT, "source": {"component": "kubelet"}})["source"] == "kubelet"


@pytest.mark.parametrize(
    ("resource", "obj", "expected"),
    [
        (
            "nodes",
            {"metadata": {"name": "n1"}},
            {"metadata.name": "n1", "metadata.namespace": "", "spec.unschedulable": "false"},
        ),
        (
            "nodes",
            {"metadata": {"name": "n1"}, "spec": {"unschedulable": True}},
            {"spec.unschedulable": "true"},
        ),
        (
            "namespaces",
            {"metadata": {"name": "ns"}, "status": {"phase": "Active"}},
            {"status.phase": "Active", "metadata.namespace": ""},
        ),
        (
            "daemonsets",
            {"metadata": {"name": "agent", "namespace": "kube-system"}},
            {"metadata.name": "agent", "metadata.namespace": "kube-system"},
        ),
        (
            "controllerrevisions",
            {"metadata": {"name": "agent-1", "namespace": "x"}},
            {"metadata.name": "agent-1"},
        ),
        (
            "leases",
            {"metadata": {"name": "n1", "namespace": "kube-node-lease"}},
            {"metadata.namespace": "kube-node-lease"},
        ),
    ],
)
def test_fields_of_other_resources(resource: str, obj: dict[str, Any], expected: dict[str, str]) -> None:
    fields = object_fields(resource, obj)
    assert expected.items() <= fields.items()


@pytest.mark.parametrize("resource", ["daemonsets", "controllerrevisions", "leases"])
def test_meta_only_resources(resource: str) -> None:
    assert set(object_fields(resource, {})) == {"metadata.name", "metadata.namespace"}
    assert supported_fields(resource) == {"metadata.name", "metadata.namespace"}


def test_supported_fields() -> None:
    assert "spec.nodeName" in supported_fields("pods")
    assert "status.podIPs" in supported_fields("pods")
    assert "involvedObject.uid" in supported_fields("events")
    assert supported_fields("nodes") == {"metadata.name", "spec.unschedulable"}
    assert supported_fields("namespaces") == {"metadata.name", "status.phase"}


@pytest.mark.parametrize(
    ("resource", "text", "message"),
    [
        ("pods", "spec.containers=x", "field label not supported: spec.containers"),
        ("events", "involvedObject.foo=x", "field label not supported: involvedObject.foo"),
        ("nodes", "metadata.namespace=", "field label not supported: metadata.namespace"),
        ("namespaces", "name=x", "field label not supported: name"),
        ("pods", "=x", "field label not supported: "),
        (
            "daemonsets",
            "spec.x=y",
            '"spec.x" is not a known field selector: only "metadata.name", "metadata.namespace"',
        ),
        (
            "leases",
            "b=1,a=2",
            '"a" is not a known field selector: only "metadata.name", "metadata.namespace"',
        ),
    ],
)
def test_check_supported_rejects(resource: str, text: str, message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        check_supported(resource, parse_field_selector(text))
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("resource", "text"),
    [
        ("pods", "spec.nodeName=x,status.phase!=Succeeded,status.phase!=Failed"),
        (
            "events",
            "involvedObject.namespace=,involvedObject.kind=Node,involvedObject.uid=n1,involvedObject.name=n1",
        ),
        (
            "events",
            "reason=Killing,type=Warning,source=kubelet,reportingComponent=x,involvedObject.fieldPath=",
        ),
        ("daemonsets", "metadata.name=agent"),
        ("nodes", "spec.unschedulable=false"),
        ("namespaces", "status.phase=Active,metadata.name=default"),
    ],
)
def test_check_supported_accepts_what_kubectl_sends(resource: str, text: str) -> None:
    selector = parse_field_selector(text)
    assert check_supported(resource, selector) is selector


def test_legacy_spec_host_means_spec_node_name() -> None:
    converted = check_supported("pods", parse_field_selector("spec.host=node-1"))
    assert str(converted) == "spec.nodeName=node-1"
    assert converted.matches_object("pods", POD)


@pytest.mark.parametrize(
    ("resource", "obj", "text", "expected"),
    [
        ("pods", POD, "spec.nodeName=node-1,status.phase!=Succeeded,status.phase!=Failed", True),
        ("pods", POD, "spec.nodeName=node-2", False),
        ("pods", POD, "spec.nodeName=", False),
        ("pods", {"metadata": {"name": "p"}}, "spec.nodeName=", True),
        ("pods", POD, "spec.hostNetwork=true,metadata.namespace=kube-system", True),
        ("pods", POD, "status.podIPs=", True),
        (
            "events",
            EVENT,
            "involvedObject.kind=DaemonSet,involvedObject.uid=u-1,involvedObject.name=agent",
            True,
        ),
        ("events", EVENT, "involvedObject.uid=u-2", False),
        ("nodes", {"metadata": {"name": "n1"}}, "spec.unschedulable!=true", True),
        ("daemonsets", {"metadata": {"name": "agent", "namespace": "a"}}, "metadata.name=agent", True),
        ("daemonsets", {"metadata": {"name": "agent", "namespace": "a"}}, "metadata.name=other", False),
    ],
)
def test_matches_object_agrees_with_object_fields(
    resource: str, obj: dict[str, Any], text: str, expected: bool
) -> None:
    selector = parse_field_selector(text)
    assert selector.matches_object(resource, obj) is expected
    assert selector.matches(object_fields(resource, obj)) is expected
