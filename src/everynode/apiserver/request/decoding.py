"""Request bodies (JSON and YAML) as JSON-shaped Python data, within limits no body can get past.

The invariants every decoded body holds, whatever its bytes, each decided while reading and before
anything large is built:

- **Nesting**: at most ``MAX_DEPTH`` containers deep. The rest of the server walks objects with
  recursive code, and orjson refuses to encode more than 254 levels; an object is stored and sent
  inside envelopes (lists, watch events, Table rows) that add up to four more. Real objects are far
  shallower: the deepest published CustomResourceDefinitions nest about 60 levels.
- **YAML aliases** cannot multiply a small body into a large document (the "billion laughs": nine
  aliases of nine aliases of ... a 306-byte body that expands to 43 million nodes). The decoder keeps
  the size of every anchored node, so each alias adds what it *would* expand to without expanding
  it; the document's expanded size is capped relative to the body (``decoded_size_limit``), so the
  bomb is refused after reading its few hundred events, in well under a millisecond. Upstream's YAML
  decoder (go-yaml, inside sigs.k8s.io/yaml) refuses "excessive aliasing" with a ratio of aliased to
  decoded nodes; a cap on the expanded size is stricter and simpler to state.
- **Numbers** are what JSON (orjson) holds: YAML integers fit in 64 bits, and are refused before
  conversion when their text is longer than any such integer can be (Python's ``int`` of a
  5,000-digit string raises; a long base-60 integer costs quadratic time); YAML floats are finite.
- **YAML mapping keys** are scalars; non-string scalar keys become strings as upstream's YAMLToJSON
  makes them (``1: a`` is ``{"1": "a"}``), and timestamps stay the text they were written as (go-yaml
  keeps them as strings when decoding into an untyped value).

JSON is parsed by orjson, which refuses invalid UTF-8, non-finite numbers and more than 1,024 levels;
the depth limit above is checked only when the body holds more brackets than ``MAX_DEPTH`` (counting
bytes runs at memory speed, so a typical body pays about a microsecond).

Errors are ``errors.BadRequest`` (400) or, for a document too large once decoded,
``errors.RequestEntityTooLarge`` (413), each with a message that says which limit was hit.
"""

from __future__ import annotations

import math
from typing import Any

import orjson
import yaml
from yaml import events as ev
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from everynode.core import errors

MAX_DEPTH = 200  # containers; see the module docstring
MIN_DECODED_SIZE_LIMIT = 1024 * 1024  # bytes of JSON a YAML body may always expand to
DECODED_SIZE_FACTOR = 4  # ... or this many times the body (block YAML is ~1-2x its JSON size)
MAX_DECODED_SIZE = 6 * 1024 * 1024  # and never more than this (twice the largest body)
MAX_INTEGER_TEXT = 100  # characters: int64 in any YAML 1.1 form (0b..., 1_000, base 60) fits
INT_MIN, INT_MAX = -(2**63), 2**64 - 1  # what JSON numbers hold here (int64 and uint64)

_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when present
_YAML = "tag:yaml.org,2002:"
_STANDARD_COLLECTION_TAGS = frozenset({None, "!", _YAML + "map", _YAML + "seq"})


def load_json(data: bytes) -> Any:
    """A JSON body; 400 if it is not JSON or nests deeper than ``MAX_DEPTH``."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise errors.BadRequest(f"the request body is not valid JSON: {exc}") from None
    if data.count(b"[") + data.count(b"{") > MAX_DEPTH and nests_deeper_than(document, MAX_DEPTH):
        raise errors.BadRequest(f"the request body nests deeper than {MAX_DEPTH} levels")
    return document


def nests_deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` has more than ``limit`` levels of dicts and lists (iterative: any depth)."""
    if not isinstance(value, dict | list):
        return limit < 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return limit < 1


def decoded_size_limit(body_size: int) -> int:
    """Bytes of JSON a YAML body of ``body_size`` bytes may decode to (aliases expanded)."""
    return min(max(DECODED_SIZE_FACTOR * body_size, MIN_DECODED_SIZE_LIMIT), MAX_DECODED_SIZE)


def load_yaml(data: bytes) -> Any:
    """A YAML body holding at most one document (none: ``None``), as JSON would carry it."""
    builder = _Builder(decoded_size_limit(len(data)))
    loader = _LOADER(data)
    try:
        while loader.check_event():
            builder.feed(loader.get_event())
    except yaml.YAMLError as exc:
        raise errors.BadRequest(f"the request body is not valid YAML: {_one_line(exc)}") from None
    finally:
        loader.dispose()
    document = builder.document
    if not builder.aliased and not isinstance(document, dict | list):
        return document
    try:  # aliases share objects: give every position its own copy (the size is bounded above)
        return orjson.loads(orjson.dumps(document))
    except orjson.JSONEncodeError as exc:  # e.g. a lone surrogate from a "\ud800" escape
        raise errors.BadRequest(f"the request body cannot be represented as JSON: {exc}") from None


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


class _Merge:
    """The ``<<`` merge key (YAML 1.1), as a mapping key."""


_MERGE = _Merge()


class _Collection:
    """A mapping or sequence being read."""

    __slots__ = ("anchor", "depth", "height", "key", "merges", "start_size", "value")

    def __init__(self, value: dict[str, Any] | list[Any], anchor: str | None, depth: int, size: int) -> None:
        self.value = value
        self.anchor = anchor
        self.depth = depth  # of this collection in the document (the root is 1)
        self.height = 1  # levels of collections from here down (aliases included)
        self.start_size = size
        self.key: Any = _NO_KEY
        self.merges: list[Any] = []


_NO_KEY = object()
_NOT_SEEN = object()
_CACHED_TEXT = 32  # plain scalars this short are resolved once per document ...
_CACHE_ENTRIES = 10_000  # ... up to this many distinct ones


class _Builder:
    """Builds the document from parser events, keeping count of its expanded size and depth."""

    def __init__(self, size_limit: int) -> None:
        self.size_limit = size_limit
        self.size = 0  # bytes of JSON the document would take, aliases expanded (an estimate)
        self.stack: list[_Collection] = []
        self.anchors: dict[str, tuple[Any, int, int]] = {}  # name: (value, size, height)
        self.documents = 0
        self.document: Any = None
        self.aliased = False
        self._constructor = SafeConstructor()
        self._resolver = Resolver()
        self._plain: dict[str, Any] = {}  # plain scalar text: its value

    def feed(self, event: ev.Event) -> None:
        kind = type(event)
        if kind is ev.ScalarEvent:
            self._scalar(event)  # type: ignore[arg-type]
        elif kind is ev.MappingEndEvent or kind is ev.SequenceEndEvent:
            self._end()
        elif kind is ev.MappingStartEvent or kind is ev.SequenceStartEvent:
            self._start(event)  # type: ignore[arg-type]
        elif kind is ev.AliasEvent:
            self._alias(event)  # type: ignore[arg-type]
        elif kind is ev.DocumentStartEvent:
            self.documents += 1
            if self.documents > 1:
                raise errors.BadRequest("the request body holds more than one YAML document")

    # -- events ----------------------------------------------------------------------------------

    def _start(self, event: ev.CollectionStartEvent) -> None:
        if event.tag not in _STANDARD_COLLECTION_TAGS:
            raise errors.BadRequest(f'the request body uses the unsupported YAML tag "{event.tag}"')
        depth = len(self.stack) + 1
        if depth > MAX_DEPTH:
            raise errors.BadRequest(f"the request body nests deeper than {MAX_DEPTH} levels")
        self._grow(2)
        value: dict[str, Any] | list[Any] = {} if type(event) is ev.MappingStartEvent else []
        self.stack.append(_Collection(value, event.anchor, depth, self.size))

    def _end(self) -> None:
        done = self.stack.pop()
        if isinstance(done.value, dict) and done.merges:
            _merge_into(done.value, done.merges)
        if done.anchor is not None:
            self.anchors[done.anchor] = (done.value, self.size - done.start_size + 2, done.height)
        self._add(done.value, done.height)

    def _scalar(self, event: ev.ScalarEvent) -> None:
        text, tag = event.value, event.tag
        value: Any
        if tag is None and event.implicit[0]:  # plain: resolved by its text (most scalars)
            value = self._plain.get(text, _NOT_SEEN)
            if value is _NOT_SEEN:
                value = _decimal(text)
                if value is None:
                    value = self._construct(event)
                if len(text) <= _CACHED_TEXT and len(self._plain) < _CACHE_ENTRIES:
                    self._plain[text] = value  # immutable: shared by every occurrence
        elif tag is None:  # quoted, untagged: a string
            value = text
        else:
            value = self._construct(event)
        size = len(text) + 3  # the text, quotes or a separator: about its JSON size
        self._grow(size)
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, size, 0)
        self._add(value, 0)

    def _alias(self, event: ev.AliasEvent) -> None:
        anchored = self.anchors.get(event.anchor or "")
        if anchored is None:
            raise errors.BadRequest(f'the request body is not valid YAML: unknown alias "{event.anchor}"')
        value, size, height = anchored
        if len(self.stack) + height > MAX_DEPTH:
            raise errors.BadRequest(f"the request body nests deeper than {MAX_DEPTH} levels")
        self.aliased = True
        self._grow(size)
        self._add(value, height)

    # -- building --------------------------------------------------------------------------------

    def _grow(self, size: int) -> None:
        self.size += size
        if self.size > self.size_limit:
            raise errors.RequestEntityTooLarge(
                f"the YAML request body expands (aliases followed) to more than {self.size_limit} bytes "
                "of JSON"
            )

    def _add(self, value: Any, height: int) -> None:
        if not self.stack:
            self.document = value
            return
        parent = self.stack[-1]
        parent.height = max(parent.height, height + 1)
        target = parent.value
        if isinstance(target, list):
            target.append(value)
        elif parent.key is _NO_KEY:
            parent.key = value if value is _MERGE else _key(value)
        elif parent.key is _MERGE:
            parent.merges.append(value)
            parent.key = _NO_KEY
        else:
            target[parent.key] = value
            parent.key = _NO_KEY

    def _construct(self, event: ev.ScalarEvent) -> Any:
        text = event.value
        tag = event.tag
        if tag is None or tag == "!":
            tag = self._resolver.resolve(ScalarNode, text, event.implicit)  # type: ignore[no-untyped-call]
        if not tag.startswith(_YAML):
            raise errors.BadRequest(f'the request body uses the unsupported YAML tag "{tag}"')
        kind = tag[len(_YAML) :]
        if kind in ("str", "timestamp", "value"):
            return text  # timestamps stay as written, as upstream's decoder keeps them
        if kind == "null":
            return None
        if kind == "merge":
            return _MERGE
        try:
            if kind == "bool":
                return self._constructor.construct_yaml_bool(ScalarNode(tag, text))
            if kind == "int":
                return _integer(self._constructor, tag, text)
            if kind == "float":
                number = self._constructor.construct_yaml_float(ScalarNode(tag, text))
                if not math.isfinite(number):
                    raise errors.BadRequest(f'the request body holds a number JSON cannot: "{text[:40]}"')
                return number
        except (ValueError, KeyError, yaml.YAMLError):
            raise errors.BadRequest(f'the request body holds an invalid YAML {kind}: "{text[:40]}"') from None
        raise errors.BadRequest(f'the request body uses the unsupported YAML tag "{tag}"')


def _decimal(text: str) -> int | None:
    """A plain decimal integer that surely fits in 64 bits, without YAML's resolver (a fast path:
    YAML 1.1 reads a leading 0 as octal, so those take the general way)."""
    if 0 < len(text) < 19 and text.isascii() and text.isdigit() and (text[0] != "0" or text == "0"):
        return int(text)
    return None


def _integer(constructor: SafeConstructor, tag: str, text: str) -> int:
    if len(text) > MAX_INTEGER_TEXT:
        raise errors.BadRequest(
            f"the request body holds an integer of {len(text)} characters; integers here are 64-bit"
        )
    number: int = constructor.construct_yaml_int(ScalarNode(tag, text))
    if not INT_MIN <= number <= INT_MAX:
        raise errors.BadRequest(f'the request body holds an integer out of the 64-bit range: "{text}"')
    return number


def _key(value: Any) -> str:
    """A mapping key as JSON's string key, as upstream's YAMLToJSON converts scalar keys."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    raise errors.BadRequest("the request body has a YAML mapping key that is not a scalar")


def _merge_into(mapping: dict[str, Any], merges: list[Any]) -> None:
    """``<<: *base`` or ``<<: [*a, *b]``: keys the mapping does not set itself, earlier sources first."""
    sources: list[Any] = []
    for merged in merges:
        sources.extend(merged if isinstance(merged, list) else [merged])
    for source in sources:
        if not isinstance(source, dict):
            raise errors.BadRequest("the request body merges (<<) something that is not a YAML mapping")
        for key, value in source.items():
            mapping.setdefault(key, value)
