"""Accept negotiation for Table output and the Content-Type of the answer."""

from __future__ import annotations

import pytest

from everynode.apiserver.tables import table_content_type, table_version, wants_table

KUBECTL = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,"
    "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)
V1 = "application/json;as=Table;v=v1;g=meta.k8s.io"
V1BETA1 = "application/json;as=Table;v=v1beta1;g=meta.k8s.io"


@pytest.mark.parametrize(
    ("accept", "version"),
    [
        (KUBECTL, "v1"),
        (V1, "v1"),
        (V1BETA1, "v1beta1"),
        ("application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", "v1beta1"),
        ("application/json; g=meta.k8s.io; v=v1; as=Table", "v1"),  # parameter order and spaces
        (" application/json ;as=Table ;v=v1;g=meta.k8s.io , application/json", "v1"),
        ("Application/JSON;as=Table;v=v1;g=meta.k8s.io", "v1"),
        ('application/json;as="Table";v="v1";g="meta.k8s.io"', "v1"),
        # a quality preference beats the order of the clauses
        ("application/json;q=0.9," + V1, "v1"),
        ("application/json," + V1 + ";q=0.5", None),
        # unanswerable clauses are skipped: the next one decides
        ("application/json;as=Table;v=v2;g=meta.k8s.io," + V1BETA1, "v1beta1"),
        ("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io," + V1, "v1"),
        ("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io," + V1, "v1"),
        (V1 + ";q=0,application/json", None),
        ("application/json;as=Table;v=v1;g=example.com,application/json", None),
        ("application/json", None),
        ("*/*", None),
        ("", None),
        ("application/vnd.kubernetes.protobuf,application/json", None),
        ("application/json," + V1, None),  # plain JSON listed first wins
        ("application/json;as=Table;v=v1;g=meta.k8s.io;q=abc", None),  # malformed q: clause dropped
    ],
)
def test_negotiation(accept: str, version: str | None) -> None:
    assert wants_table(accept) is (version is not None)
    if version is not None:
        assert table_version(accept) == version
        assert table_content_type(accept) == f"application/json;as=Table;v={version};g=meta.k8s.io"


def test_content_type_for_kubectl() -> None:
    assert table_content_type(KUBECTL) == "application/json;as=Table;v=v1;g=meta.k8s.io"
