"""The values a backend returns: key/value versions, list pages, deletions and watch events."""

from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KeyValue:
    """One version of a key.

    ``mod_revision`` is the revision of the write that produced this version (it becomes the
    object's ``metadata.resourceVersion``); ``create_revision`` is the revision that created the key.
    """

    key: str
    value: bytes
    create_revision: int
    mod_revision: int


@dataclass(frozen=True, slots=True)
class ListResult:
    """One page of a prefix list, read at ``revision``.

    ``continue_token`` is set when more keys follow; passing it back reads the next page at the
    same revision.
    """

    items: list[KeyValue]
    revision: int
    continue_token: str | None


@dataclass(frozen=True, slots=True)
class Deleted:
    """The outcome of a delete: the revision of the deletion and the version that was removed."""

    revision: int
    prev: KeyValue


class EventType(enum.Enum):
    PUT = "PUT"
    DELETE = "DELETE"


@dataclass(frozen=True, slots=True)
class Event:
    """A committed write, as a watcher sees it.

    For PUT, ``value`` is the new value and ``prev_value`` the value it replaced (``None`` when the
    write created the key). For DELETE, ``value`` is ``None`` and ``prev_value`` is the last value.
    ``create_revision`` is the key's create revision (of the removed version, for DELETE).
    """

    type: EventType
    key: str
    revision: int
    value: bytes | None
    prev_value: bytes | None
    create_revision: int

    @property
    def is_create(self) -> bool:
        return self.type is EventType.PUT and self.prev_value is None
