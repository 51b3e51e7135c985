from __future__ import annotations

from everynode.storage import Conflict, Deleted, EventType, KeyExists, KeyValue, NotFound
from everynode.storage.batch import LogRow, Write, plan_batch


def test_writes_to_one_key_in_one_batch_see_each_other() -> None:
    plan = plan_batch(
        [
            Write("create", "/k", b"1", None),
            Write("update", "/k", b"2", 11),
            Write("delete", "/k", None, 12),
            Write("create", "/k", b"3", None),
        ],
        {},
        10,
    )
    assert plan.outcomes == [
        KeyValue("/k", b"1", 11, 11),
        KeyValue("/k", b"2", 11, 12),
        Deleted(13, KeyValue("/k", b"2", 11, 12)),
        KeyValue("/k", b"3", 14, 14),
    ]
    assert plan.revision == 14
    assert plan.log == [
        LogRow(11, "/k", b"1", 11, 0),
        LogRow(12, "/k", b"2", 11, 11),
        LogRow(13, "/k", None, 11, 12),
        LogRow(14, "/k", b"3", 14, 0),
    ]
    assert [e.type for e in plan.events] == [EventType.PUT, EventType.PUT, EventType.DELETE, EventType.PUT]
    assert plan.final == {"/k": KeyValue("/k", b"3", 14, 14)}


def test_only_the_first_of_racing_updates_in_a_batch_wins() -> None:
    current = {"/k": KeyValue("/k", b"0", 5, 7)}
    plan = plan_batch([Write("update", "/k", b"a", 7), Write("update", "/k", b"b", 7)], current, 20)
    assert plan.outcomes[0] == KeyValue("/k", b"a", 5, 21)
    assert isinstance(plan.outcomes[1], Conflict)
    assert plan.outcomes[1].current == KeyValue("/k", b"a", 5, 21)
    assert plan.revision == 21
    assert len(plan.log) == 1


def test_failed_conditions_write_nothing() -> None:
    current = {"/a": KeyValue("/a", b"0", 1, 1)}
    plan = plan_batch(
        [
            Write("create", "/a", b"x", None),
            Write("update", "/b", b"x", 1),
            Write("delete", "/b", None, None),
        ],
        current,
        3,
    )
    assert isinstance(plan.outcomes[0], KeyExists)
    assert isinstance(plan.outcomes[1], NotFound)
    assert isinstance(plan.outcomes[2], NotFound)
    assert plan.log == []
    assert plan.events == []
    assert plan.final == {}
    assert plan.revision == 3


def test_a_key_created_and_deleted_in_one_batch_leaves_the_current_table_alone() -> None:
    plan = plan_batch([Write("create", "/n", b"1", None), Write("delete", "/n", None, None)], {}, 0)
    assert plan.final == {}  # absent before and after
    assert [row.revision for row in plan.log] == [1, 2]
