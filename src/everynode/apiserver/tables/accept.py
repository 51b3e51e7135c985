"""Does an Accept header ask for a ``meta.k8s.io`` Table, and in which version?

kubectl's human-readable ``get`` sends
``application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json``.
Like kube-apiserver's negotiation, the clauses are tried best first (higher ``q``, then more specific
media ranges, otherwise in the order given) and the first one the server can answer decides: a Table
clause means a Table, a plain JSON (or wildcard) clause means the ordinary object. Clauses the server
cannot produce here (protobuf, other ``as=`` conversions, other Table versions) are skipped, so the
next one decides.
"""

from __future__ import annotations

from dataclasses import dataclass

TABLE_VERSIONS = ("v1", "v1beta1")
TABLE_GROUP = "meta.k8s.io"


@dataclass(frozen=True, slots=True)
class MediaRange:
    type: str
    subtype: str
    params: dict[str, str]
    q: float
    position: int

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")


def parse_accept(accept: str) -> list[MediaRange]:
    """The clauses of an Accept header, best first; malformed clauses and ``q=0`` are dropped."""
    ranges: list[MediaRange] = []
    for position, clause in enumerate(accept.split(",")):
        head, *raw_params = clause.split(";")
        media = head.strip().lower()
        if media == "*":
            media = "*/*"
        kind, slash, subtype = media.partition("/")
        if not slash or not kind or not subtype:
            continue
        params: dict[str, str] = {}
        for raw in raw_params:
            key, eq, value = raw.partition("=")
            if eq:
                params[key.strip().lower()] = value.strip().strip('"')
        q = 1.0
        if "q" in params:
            try:
                q = float(params.pop("q"))
            except ValueError:
                continue
        if q <= 0:
            continue
        ranges.append(MediaRange(kind, subtype, params, q, position))
    ranges.sort(key=lambda r: (-r.q, -r.specificity, r.position))
    return ranges


def _is_json(r: MediaRange) -> bool:
    return (r.type, r.subtype) in (("application", "json"), ("application", "*"), ("*", "*"))


def negotiate_table_version(accept: str) -> str | None:
    """``"v1"`` or ``"v1beta1"`` when the best answerable clause asks for a Table; ``None`` otherwise."""
    for r in parse_accept(accept):
        if not _is_json(r):
            continue
        target = r.params.get("as")
        if target is None:
            return None  # plain JSON is acceptable and preferred: no Table
        if (
            target == "Table"
            and r.params.get("g") == TABLE_GROUP
            and r.params.get("v") in TABLE_VERSIONS
            and r.type == "application"
        ):
            return r.params["v"]
    return None


def content_type_for(version: str) -> str:
    return f"application/json;as=Table;v={version};g={TABLE_GROUP}"
