from __future__ import annotations

import copy
import re
from typing import Any

import orjson
import pytest

from everynode.controllers.daemonset.history import (
    canonical_json,
    compute_hash,
    fnv1a32,
    matches,
    new_revision,
    next_revision_number,
    pick_current,
    revision_data,
    revision_hash,
    revision_name,
    revision_patch,
    revisions_to_delete,
    safe_encode,
    split_history,
)
from everynode.core import wellknown
from tests import builders

HASH_FORM = re.compile(r"^[4-9bcdf]{1,10}$")


def make_ds(image: str = "httpd:2.4", **annotations: str) -> dict[str, Any]:
    return builders.daemonset(
        "daemon-set",
        namespace="ns",
        uid="uid-1",
        annotations={"deprecated.daemonset.template.generation": "1", **annotations},
        match_labels={"daemonset-name": "daemon-set"},
        containers=[builders.container("app", image=image, ports=[{"containerPort": 9376}])],
    )


def rev(name: str, number: int, data: Any = None, hash_: str | None = None) -> dict[str, Any]:
    labels = {} if hash_ is None else {wellknown.LABEL_CONTROLLER_REVISION_HASH: hash_}
    return builders.revision(name, number=number, data=data, labels=labels)


# --- encoding and hashing -------------------------------------------------------------------------


def test_canonical_json_sorts_keys_at_every_level_without_whitespace() -> None:
    value = {"b": {"z": 1, "a": [{"y": 2, "x": "é"}]}, "a": None, "$patch": "replace"}
    assert canonical_json(value) == '{"$patch":"replace","a":null,"b":{"a":[{"x":"é","y":2}],"z":1}}'.encode()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", 0x811C9DC5),
        (b"a", 0xE40C292C),
        (b"foobar", 0xBF9CF968),
    ],
)
def test_fnv1a32_known_vectors(data: bytes, expected: int) -> None:
    assert fnv1a32(data) == expected


def test_fnv1a32_can_be_continued() -> None:
    assert fnv1a32(b"bar", fnv1a32(b"foo")) == fnv1a32(b"foobar")


def test_safe_encode_maps_digits_like_upstream() -> None:
    assert safe_encode("0123456789") == "456789bcdf"
    assert safe_encode("") == ""


def test_hash_has_upstreams_form() -> None:
    template = make_ds()["spec"]["template"]
    for collision_count in (None, 0, 1, 7, 2**32 + 5):
        assert HASH_FORM.match(compute_hash(template, collision_count))
    assert HASH_FORM.match(compute_hash({}, None))


def test_hash_is_the_safe_encoding_of_the_decimal_fnv1a() -> None:
    template: dict[str, Any] = {"spec": {"containers": []}}
    raw = canonical_json(template)
    assert compute_hash(template, None) == safe_encode(str(fnv1a32(raw)))
    with_count = fnv1a32(raw + bytes([3, 0, 0, 0, 0, 0, 0, 0]))
    assert compute_hash(template, 3) == safe_encode(str(with_count))


def test_hash_does_not_depend_on_key_order() -> None:
    a = {"metadata": {"labels": {"x": "1", "y": "2"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
    b = {"spec": {"containers": [{"image": "i", "name": "c"}]}, "metadata": {"labels": {"y": "2", "x": "1"}}}
    assert list(a) != list(b)
    assert compute_hash(a, None) == compute_hash(b, None)
    assert compute_hash(a, 2) == compute_hash(b, 2)


def test_hash_changes_with_the_template_and_with_the_collision_count() -> None:
    template = make_ds()["spec"]["template"]
    base = compute_hash(template, None)
    assert compute_hash(make_ds(image="other")["spec"]["template"], None) != base
    counted = {compute_hash(template, n) for n in range(5)}
    assert len(counted) == 5
    assert base not in counted  # nil and 0 differ: 0 still feeds 8 bytes


# --- patches and matching -------------------------------------------------------------------------


def test_revision_patch_replaces_the_whole_template_and_round_trips() -> None:
    ds = make_ds()
    patch = revision_patch(ds)
    assert patch.startswith(b'{"spec":{"template":{"$patch":"replace",')
    decoded = orjson.loads(patch)
    assert decoded == revision_data(ds)
    template = dict(decoded["spec"]["template"])
    assert template.pop("$patch") == "replace"
    assert template == ds["spec"]["template"]
    assert "$patch" not in ds["spec"]["template"]  # the DaemonSet is not touched


def test_revision_data_shares_nothing_with_the_daemonset() -> None:
    ds = make_ds()
    data = revision_data(ds)
    data["spec"]["template"]["spec"]["containers"][0]["image"] = "changed"
    assert ds["spec"]["template"]["spec"]["containers"][0]["image"] == "httpd:2.4"


def test_matches_compares_canonical_encodings() -> None:
    ds = make_ds()
    data = revision_data(ds)
    reordered = orjson.loads(
        orjson.dumps({"spec": {"template": dict(reversed(data["spec"]["template"].items()))}})
    )
    assert matches(ds, {"data": data})
    assert matches(ds, {"data": reordered})
    assert not matches(make_ds(image="other"), {"data": data})
    assert not matches(ds, {"data": ds["spec"]["template"]})  # no $patch wrapper
    assert not matches(ds, {})


def test_changes_outside_the_template_still_match() -> None:
    ds = make_ds()
    data = revision_data(ds)
    changed = copy.deepcopy(ds)
    changed["spec"]["minReadySeconds"] = 10
    changed["spec"]["updateStrategy"] = {"type": "OnDelete"}
    changed["metadata"]["annotations"]["kubernetes.io/change-cause"] = "x"
    assert matches(changed, {"data": data})


# --- naming and the revision object ---------------------------------------------------------------


def test_revision_name_truncates_the_prefix_to_223_characters() -> None:
    assert revision_name("ds", "5d9c8b7f4") == "ds-5d9c8b7f4"
    long = "a" * 300
    assert revision_name(long, "bc") == "a" * 223 + "-bc"


def test_new_revision_shape() -> None:
    ds = make_ds(**{"kubernetes.io/change-cause": "initial"})
    hash_ = compute_hash(ds["spec"]["template"], None)
    revision = new_revision(ds, hash_, 3)
    assert revision["apiVersion"] == "apps/v1"
    assert revision["kind"] == "ControllerRevision"
    assert revision["revision"] == 3
    assert revision["data"] == revision_data(ds)
    meta = revision["metadata"]
    assert meta["name"] == f"daemon-set-{hash_}"
    assert meta["namespace"] == "ns"
    assert meta["labels"] == {"daemonset-name": "daemon-set", wellknown.LABEL_CONTROLLER_REVISION_HASH: hash_}
    assert meta["annotations"] == ds["metadata"]["annotations"]
    assert meta["annotations"] is not ds["metadata"]["annotations"]
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "name": "daemon-set",
            "uid": "uid-1",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert matches(ds, revision)
    assert revision_hash(revision) == hash_
    # The template's labels are copied, not shared.
    assert wellknown.LABEL_CONTROLLER_REVISION_HASH not in ds["spec"]["template"]["metadata"]["labels"]


def test_new_revision_without_labels_or_annotations() -> None:
    ds = make_ds()
    del ds["spec"]["template"]["metadata"]
    del ds["metadata"]["annotations"]
    revision = new_revision(ds, "bc", 1)
    assert revision["metadata"]["labels"] == {wellknown.LABEL_CONTROLLER_REVISION_HASH: "bc"}
    assert revision["metadata"]["annotations"] == {}


def test_revision_hash_is_empty_without_the_label() -> None:
    assert revision_hash({}) == ""
    assert revision_hash({"metadata": {"labels": None}}) == ""
    assert revision_hash(rev("r", 1, hash_="abc")) == "abc"


# --- splitting, dedup, numbering, cleanup ---------------------------------------------------------


def test_split_history_and_next_revision_number() -> None:
    ds = make_ds()
    current = rev("cur", 2, revision_data(ds))
    old1 = rev("old1", 1, revision_data(make_ds(image="v1")))
    old5 = rev("old5", 5, revision_data(make_ds(image="v5")))
    cur_list, old_list = split_history(ds, [old1, current, old5])
    assert cur_list == [current]
    assert old_list == [old1, old5]
    assert next_revision_number(old_list) == 6
    assert next_revision_number([]) == 1


def test_pick_current_keeps_the_highest_and_on_ties_the_last_seen() -> None:
    a, b, c = rev("a", 2), rev("b", 3), rev("c", 1)
    kept, duplicates = pick_current([a, b, c])
    assert kept is b
    assert duplicates == [a, c]

    first, second, third = rev("first", 4), rev("second", 4), rev("third", 2)
    kept, duplicates = pick_current([first, second, third])
    assert kept is second
    assert [d["metadata"]["name"] for d in duplicates] == ["first", "third"]

    only = rev("only", 0)
    assert pick_current([only]) == (only, [])


def test_pick_current_tie_between_identical_objects_deletes_exactly_one() -> None:
    x, y = rev("same", 1), rev("same", 1)
    kept, duplicates = pick_current([x, y])
    assert kept is y
    assert len(duplicates) == 1
    assert duplicates[0] is x


def test_pick_current_needs_a_revision() -> None:
    with pytest.raises(ValueError, match="at least one"):
        pick_current([])


def test_revisions_to_delete_within_the_limit_is_nothing() -> None:
    old = [rev(f"r{n}", n, hash_=f"h{n}") for n in range(1, 4)]
    assert revisions_to_delete(old, set(), 3) == []
    assert revisions_to_delete(old, set(), 10) == []
    assert revisions_to_delete([], set(), 0) == []


def test_revisions_to_delete_goes_oldest_first() -> None:
    old = [rev(f"r{n}", n, hash_=f"h{n}") for n in (4, 1, 3, 2, 5)]
    chosen = revisions_to_delete(old, set(), 2)
    assert [r["revision"] for r in chosen] == [1, 2, 3]


def test_revisions_to_delete_spares_live_hashes_even_beyond_the_limit() -> None:
    old = [rev(f"r{n}", n, hash_=f"h{n}") for n in range(1, 6)]
    chosen = revisions_to_delete(old, {"h1", "h3"}, 2)
    assert [r["revision"] for r in chosen] == [2, 4, 5]
    # Everything is live: nothing is deleted and 5 > limit remain.
    assert revisions_to_delete(old, {f"h{n}" for n in range(1, 6)}, 0) == []
    chosen = revisions_to_delete(old, {"h1", "h2", "h3", "h4"}, 1)
    assert [r["revision"] for r in chosen] == [5]
    for live in ({"h2"}, {"h1", "h5"}, set()):
        assert all(revision_hash(r) not in live for r in revisions_to_delete(old, live, 0))


def test_revisions_without_a_hash_label_are_never_live() -> None:
    old = [rev("unlabelled", 1), rev("r2", 2, hash_="h2")]
    chosen = revisions_to_delete(old, {"", "h2"}, 0)
    assert [r["metadata"]["name"] for r in chosen] == ["unlabelled"]


def test_history_lifecycle_like_the_controller_revision_e2e() -> None:
    """E11 in outline: the hand-made revision steals the new template's name; the collision count fixes it."""
    ds = make_ds()
    initial = new_revision(ds, compute_hash(ds["spec"]["template"], None), 1)

    updated = copy.deepcopy(ds)
    updated["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 1
    taken_hash = compute_hash(updated["spec"]["template"], None)
    hand_made = new_revision(ds, taken_hash, 2)  # old data under the new template's hash
    hand_made["metadata"]["name"] = revision_name("daemon-set", taken_hash)

    # The initial revision is deleted; the hand-made one now matches the (unchanged) DaemonSet.
    current, old = split_history(ds, [hand_made])
    assert current == [hand_made]

    # The template changes: nothing matches, and the snapshot name is taken by different data.
    current, old = split_history(updated, [hand_made])
    assert current == []
    number = next_revision_number(old)
    assert number == 3
    assert not matches(updated, hand_made)
    retry_hash = compute_hash(updated["spec"]["template"], 1)
    assert revision_name("daemon-set", retry_hash) != hand_made["metadata"]["name"]
    snapshot = new_revision(updated, retry_hash, number)
    assert matches(updated, snapshot)
    assert snapshot["revision"] == 3
    assert not matches(updated, initial)
