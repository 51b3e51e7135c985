"""The table language the protobuf message declarations are written in, compiled to :class:`Layout`.

Each protobuf message is declared as ``{field number: "<json name> <type>[ always]"}``; a package's
messages form one table (``{"Pod": {...}, "PodSpec": {...}}``) and the tables are compiled together, so
that messages may refer to each other across packages. ``<type>`` is::

    type   := base | "*" base | "[]" base | "map[" base "]"
    base   := string | int32 | int64 | bool | double | bytes          (protobuf scalars)
            | Time | MicroTime | Quantity | IntOrString | RawExtension | FieldsV1   (see below)
            | Message | pkg.Message                                  (a declared message)

and ``"... Message"`` declares an embedded Go struct whose JSON fields are inlined into the parent
(Go's ``json:",inline"``: ``Volume`` carries its ``VolumeSource`` this way).

The marks say how Go's JSON encoder writes the field, which the decoder mirrors:

- no mark: ``omitempty`` -- a scalar equal to its zero value ("", 0, false, empty bytes) is left out;
- ``*``: a Go pointer -- kept whenever it is on the wire, zero included (``gracePeriodSeconds: 0``);
- ``always``: a scalar without ``omitempty`` -- always written, the zero value when absent
  (``containerPort``, ``ready``);
- lists and maps are left out when empty (Go writes ``null`` or omits them; both mean absent);
- an embedded message (and the special types below) is kept whenever it is on the wire: Go writes a
  non-pointer struct even when empty (``"strategy": {}``), and ``omitempty`` never drops a struct.

The special types are apimachinery messages with their own JSON form: ``Time`` (meta/v1, RFC 3339 to the
second, zero is left out), ``MicroTime`` (to the microsecond), ``Quantity`` (its string, field 1),
``IntOrString`` (a number or a string, by its type field), ``RawExtension`` and ``FieldsV1`` (JSON text
in field 1, carried as the JSON value it holds).

Field numbers, types and marks come from upstream's ``generated.proto`` files and the Go struct tags in
``types.go`` (k8s.io/api and k8s.io/apimachinery, v1.33); JSON names are the Go ``json`` tags, which the
tests check against the OpenAPI definitions the server loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "ALWAYS",
    "BOOL",
    "BYTES",
    "DOUBLE",
    "FIELDS_V1",
    "FIXED32",
    "FIXED64",
    "INLINE",
    "INT32",
    "INT64",
    "INT_OR_STRING",
    "LENGTH",
    "MAP",
    "MESSAGE",
    "MICRO_TIME",
    "OMITEMPTY",
    "POINTER",
    "QUANTITY",
    "RAW_EXTENSION",
    "REPEATED",
    "SCALAR_KINDS",
    "SINGLE",
    "SPECIAL_KINDS",
    "STRING",
    "TIME",
    "VARINT",
    "Field",
    "Layout",
    "Tables",
    "compile_tables",
    "json_names",
]

Tables = dict[str, dict[str, dict[int, str]]]  # package -> message -> field number -> declaration

# shapes
SINGLE, REPEATED, MAP = 0, 1, 2
# presence (how Go's JSON encoder writes a single field)
OMITEMPTY, POINTER, ALWAYS, INLINE = 0, 1, 2, 3

# kinds: protobuf scalars, apimachinery's special messages, declared messages
STRING, INT32, INT64, BOOL, DOUBLE, BYTES = "string", "int32", "int64", "bool", "double", "bytes"
TIME, MICRO_TIME, QUANTITY, INT_OR_STRING = "Time", "MicroTime", "Quantity", "IntOrString"
RAW_EXTENSION, FIELDS_V1 = "RawExtension", "FieldsV1"
MESSAGE = "message"
SCALAR_KINDS = frozenset({STRING, INT32, INT64, BOOL, DOUBLE, BYTES})
SPECIAL_KINDS = frozenset({TIME, MICRO_TIME, QUANTITY, INT_OR_STRING, RAW_EXTENSION, FIELDS_V1})

# wire types
VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5
_SCALAR_WIRE = {STRING: LENGTH, INT32: VARINT, INT64: VARINT, BOOL: VARINT, DOUBLE: FIXED64, BYTES: LENGTH}
_ZERO: dict[str, object] = {STRING: "", INT32: 0, INT64: 0, BOOL: False, DOUBLE: 0.0}


@dataclass(slots=True, eq=False)
class Field:
    """One declared field. ``layout`` is set for ``kind == MESSAGE`` once every table is compiled;
    ``wire`` is the wire type its values (or, for maps, entries) arrive as."""

    number: int
    name: str  # the JSON name; "" for an inline message
    kind: str
    shape: int
    presence: int
    message: str = ""  # the qualified message name, for MESSAGE
    wire: int = LENGTH
    layout: Layout | None = None


@dataclass(slots=True, eq=False)
class Layout:
    """A compiled message: its fields by number, and the JSON keys Go always writes (with their zero
    values, for when the field is not on the wire; an inline message's own such keys included)."""

    name: str  # qualified: "core.PodSpec"
    fields: dict[int, Field] = field(default_factory=dict)
    defaults: tuple[tuple[str, object], ...] = ()


def _parse(package: str, message: str, number: int, text: str) -> Field:
    where = f"{package}.{message} field {number} ({text!r})"
    words = text.split()
    presence = OMITEMPTY
    if words and words[-1] == "always":
        presence = ALWAYS
        words.pop()
    if len(words) != 2:
        raise ValueError(f"{where}: expected '<json name> <type>[ always]'")
    name, spec = words
    shape = SINGLE
    if name == "...":
        if presence == ALWAYS or not spec[:1].isalpha():
            raise ValueError(f"{where}: an inline field is a plain message")
        name, presence = "", INLINE
    if spec.startswith("[]"):
        shape, spec = REPEATED, spec[2:]
    elif spec.startswith("map[") and spec.endswith("]"):
        shape, spec = MAP, spec[4:-1]
    elif spec.startswith("*"):
        presence, spec = POINTER, spec[1:]
    if presence == ALWAYS and (shape != SINGLE or spec not in _ZERO):
        raise ValueError(f"{where}: 'always' is for single scalars other than bytes")
    if spec in SCALAR_KINDS or spec in SPECIAL_KINDS:
        kind, qualified = spec, ""
    elif spec.replace(".", "").isalnum() and spec.count(".") <= 1:
        kind, qualified = MESSAGE, spec if "." in spec else f"{package}.{spec}"
    else:
        raise ValueError(f"{where}: unknown type {spec!r}")
    if presence == INLINE and kind != MESSAGE:
        raise ValueError(f"{where}: only a declared message can be inlined")
    wire = _SCALAR_WIRE.get(kind, LENGTH) if shape != MAP else LENGTH
    return Field(number, name, kind, shape, presence, qualified, wire)


def _defaults(
    layout: Layout, layouts: dict[str, Layout], visiting: frozenset[str]
) -> list[tuple[str, object]]:
    if layout.name in visiting:
        raise ValueError(f"{layout.name} inlines itself")
    result: list[tuple[str, object]] = []
    for f in layout.fields.values():
        if f.presence == ALWAYS:
            result.append((f.name, _ZERO[f.kind]))
        elif f.presence == INLINE:
            result.extend(_defaults(layouts[f.message], layouts, visiting | {layout.name}))
    return result


def compile_tables(tables: Tables) -> dict[str, Layout]:
    """Every message of ``tables`` as a :class:`Layout`, by qualified name (``"apps.Deployment"``).

    Raises ``ValueError`` for a declaration that does not parse, a reference to an undeclared message,
    or two fields of one message (inline messages included) with the same JSON name.
    """
    layouts: dict[str, Layout] = {}
    for package, messages in tables.items():
        for message, declared in messages.items():
            layout = Layout(f"{package}.{message}")
            for number, text in declared.items():
                if number < 1:
                    raise ValueError(f"{layout.name}: field number {number}")
                layout.fields[number] = _parse(package, message, number, text)
            layouts[layout.name] = layout
    for layout in layouts.values():
        for f in layout.fields.values():
            if f.kind == MESSAGE:
                target = layouts.get(f.message)
                if target is None:
                    raise ValueError(f"{layout.name}.{f.name or '...'}: no message {f.message}")
                f.layout = target
    for layout in layouts.values():
        layout.defaults = tuple(_defaults(layout, layouts, frozenset()))
        names = json_names(layout)
        if len(names) != len(set(names)):
            raise ValueError(f"{layout.name}: a JSON name is declared twice in {names}")
    return layouts


def json_names(layout: Layout) -> list[str]:
    """The JSON keys a message's fields can write, inline messages' keys in their place."""
    names: list[str] = []
    for f in layout.fields.values():
        if f.presence == INLINE:
            assert f.layout is not None
            names.extend(json_names(f.layout))
        else:
            names.append(f.name)
    return names
