"""Plan a batch of conditional writes: pure decisions, no I/O.

Given the current version of every key a batch touches, apply the writes in order (each one's
condition checked against the state the earlier ones left), assign revisions, and say what to
append to the log, which keys end up where, and what each caller gets back. The SQLite writer
reads the state with one query, plans, then writes the plan with one statement per table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from everynode.storage.errors import Conflict, KeyExists, NotFound, StorageError
from everynode.storage.records import Deleted, Event, EventType, KeyValue

WriteKind = Literal["create", "update", "delete"]
Outcome = KeyValue | Deleted | StorageError


class Write(NamedTuple):
    kind: WriteKind
    key: str
    value: bytes | None
    expected_revision: int | None


class LogRow(NamedTuple):
    """One appended version: ``value`` is None for a delete; ``prev_revision`` 0 for a create."""

    revision: int
    key: str
    value: bytes | None
    create_revision: int
    prev_revision: int


@dataclass(slots=True)
class BatchPlan:
    outcomes: list[Outcome] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    log: list[LogRow] = field(default_factory=list)
    final: dict[str, KeyValue | None] = field(default_factory=dict)  # touched keys, after the batch
    revision: int = 0


def plan_batch(writes: list[Write], current: dict[str, KeyValue], revision: int) -> BatchPlan:
    """Apply ``writes`` in order on top of ``current`` (the touched keys' versions; absent = no key).

    ``revision`` is the store revision before the batch; successful writes take the next ones.
    """
    plan = BatchPlan(revision=revision)
    state: dict[str, KeyValue | None] = {w.key: current.get(w.key) for w in writes}
    for write in writes:
        plan.outcomes.append(_apply(write, state, plan))
    plan.final = {key: kv for key, kv in state.items() if kv is not current.get(key)}
    return plan


def _apply(write: Write, state: dict[str, KeyValue | None], plan: BatchPlan) -> Outcome:
    key, existing = write.key, state[write.key]
    if write.kind == "create":
        if existing is not None:
            return KeyExists(key)
        assert write.value is not None
        plan.revision += 1
        created = KeyValue(key, write.value, plan.revision, plan.revision)
        plan.log.append(LogRow(plan.revision, key, write.value, plan.revision, 0))
        plan.events.append(Event(EventType.PUT, key, plan.revision, write.value, None, plan.revision))
        state[key] = created
        return created
    if existing is None:
        return NotFound(key)
    if write.expected_revision is not None and existing.mod_revision != write.expected_revision:
        return Conflict(key, write.expected_revision, existing)
    plan.revision += 1
    revision, create_revision = plan.revision, existing.create_revision
    plan.log.append(LogRow(revision, key, write.value, create_revision, existing.mod_revision))
    if write.kind == "update":
        assert write.value is not None
        updated = KeyValue(key, write.value, create_revision, revision)
        plan.events.append(Event(EventType.PUT, key, revision, write.value, existing.value, create_revision))
        state[key] = updated
        return updated
    plan.events.append(Event(EventType.DELETE, key, revision, None, existing.value, create_revision))
    state[key] = None
    return Deleted(revision=revision, prev=existing)
