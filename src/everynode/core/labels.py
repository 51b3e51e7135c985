"""Label selectors as apimachinery defines them (``k8s.io/apimachinery/pkg/labels``).

Two ways in: ``parse_selector`` reads the string form that ``?labelSelector=`` carries
(``app=web,tier in (a,b),!canary``); ``labelselector.from_label_selector`` reads a
``metav1.LabelSelector`` dict (``spec.selector`` of a DaemonSet). Both give an immutable
``Selector`` whose ``matches`` runs a precomputed check per requirement, because the API server
calls it for every object of every watch event. Error messages follow upstream's wording, so
clients see what kube-apiserver would say.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from everynode.core import names
from everynode.core.fielderrors import go_quote

Labels = Mapping[str, str]
_NO_LABELS: Labels = {}


class SelectorError(ValueError):
    """A label or field selector that does not parse or is not valid (the API answers 400)."""


class Operator(StrEnum):
    """``selection.Operator``; the values are upstream's, which show up in error messages."""

    IN = "in"
    NOT_IN = "notin"
    EQUALS = "="
    DOUBLE_EQUALS = "=="
    NOT_EQUALS = "!="
    GREATER_THAN = "gt"
    LESS_THAN = "lt"
    EXISTS = "exists"
    DOES_NOT_EXIST = "!"


_BINARY = (Operator.IN, Operator.NOT_IN, Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.NOT_EQUALS)
_BINARY_OPERATORS = (*_BINARY, Operator.GREATER_THAN, Operator.LESS_THAN)
_ALL_OPERATORS = (*_BINARY_OPERATORS, Operator.EXISTS, Operator.DOES_NOT_EXIST)

# Keys are qualified names and values label values, as core.names checks them (upstream's wording).
label_key_errors = names.is_qualified_name
label_value_errors = names.is_valid_label_value


def _go_strings(values: tuple[str, ...]) -> str:
    # How Go's %#v prints the []string that upstream reports as the bad value.
    if not values:
        return "[]string(nil)"
    return "[]string{" + ", ".join(go_quote(v) for v in values) + "}"


def _aggregate(messages: list[str]) -> str:
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


_INT64 = re.compile(r"[+-]?[0-9]+")


def _parse_int64(text: str) -> int | None:
    """``strconv.ParseInt(text, 10, 64)``: stricter than ``int()`` (no spaces, ``_`` or non-ASCII)."""
    if not _INT64.fullmatch(text):
        return None
    number = int(text)
    return number if -(2**63) <= number < 2**63 else None


# --- requirements and selectors ---

Check = Callable[[Labels], bool]


def _compile(key: str, op: Operator, values: tuple[str, ...]) -> Check:
    """One closure per requirement, so matching is a dict lookup and a comparison."""
    if op in (Operator.IN, Operator.EQUALS, Operator.DOUBLE_EQUALS):
        if len(values) == 1:
            only = values[0]
            return lambda labels: labels.get(key) == only
        allowed = frozenset(values)
        return lambda labels: labels.get(key) in allowed  # an absent key (None) is never allowed
    if op in (Operator.NOT_IN, Operator.NOT_EQUALS):
        if len(values) == 1:
            only = values[0]
            return lambda labels: labels.get(key) != only
        denied = frozenset(values)
        return lambda labels: labels.get(key) not in denied
    if op is Operator.EXISTS:
        return lambda labels: key in labels
    if op is Operator.DOES_NOT_EXIST:
        return lambda labels: key not in labels
    bound = _parse_int64(values[0]) if len(values) == 1 else None
    if bound is None:
        return lambda labels: False
    greater = op is Operator.GREATER_THAN

    def compare(labels: Labels) -> bool:
        raw = labels.get(key)
        number = None if raw is None else _parse_int64(raw)
        if number is None:
            return False
        return number > bound if greater else number < bound

    return compare


@dataclass(frozen=True, slots=True)
class Requirement:
    """``key operator values``. Build it with ``new_requirement`` to have it validated."""

    key: str
    operator: Operator
    values: tuple[str, ...] = ()
    _check: Check = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        op, values = Operator(self.operator), tuple(self.values)
        object.__setattr__(self, "operator", op)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "_check", _compile(self.key, op, values))

    def matches(self, labels: Labels | None) -> bool:
        return self._check(_NO_LABELS if labels is None else labels)

    def __str__(self) -> str:
        op = self.operator
        if op is Operator.EXISTS:
            return self.key
        if op is Operator.DOES_NOT_EXIST:
            return "!" + self.key
        joined = ",".join(sorted(self.values))
        if op in (Operator.IN, Operator.NOT_IN):
            return f"{self.key} {op.value} ({joined})"
        symbol = {Operator.GREATER_THAN: ">", Operator.LESS_THAN: "<"}.get(op, op.value)
        return f"{self.key}{symbol}{joined}"


def new_requirement(key: str, operator: Operator | str, values: Iterable[str] = ()) -> Requirement:
    """``labels.NewRequirement``: validates the key, the operator's arity and every value."""
    vals = tuple(values)
    errors: list[str] = []
    if key_errors := label_key_errors(key):
        errors.append(f"key: Invalid value: {go_quote(key)}: {'; '.join(key_errors)}")
    try:
        op = Operator(operator)
    except ValueError:
        supported = ", ".join(go_quote(o.value) for o in _ALL_OPERATORS)
        raise SelectorError(
            f"operator: Unsupported value: {go_quote(str(operator))}: supported values: {supported}"
        ) from None
    bad = f"values: Invalid value: {_go_strings(vals)}: "
    if op in (Operator.IN, Operator.NOT_IN) and not vals:
        errors.append(bad + "for 'in', 'notin' operators, values set can't be empty")
    elif op in (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.NOT_EQUALS) and len(vals) != 1:
        errors.append(bad + "exact-match compatibility requires one single value")
    elif op in (Operator.EXISTS, Operator.DOES_NOT_EXIST) and vals:
        errors.append(bad + "values set must be empty for exists and does not exist")
    elif op in (Operator.GREATER_THAN, Operator.LESS_THAN):
        if len(vals) != 1:
            errors.append(bad + "for 'Gt', 'Lt' operators, exactly one value is required")
        for i, value in enumerate(vals):
            if _parse_int64(value) is None:
                errors.append(
                    f"values[{i}]: Invalid value: {go_quote(value)}: "
                    "for 'Gt', 'Lt' operators, the value must be an integer"
                )
    for i, value in enumerate(vals):
        if value_errors := label_value_errors(value):
            errors.append(f"values[{i}][{key}]: Invalid value: {go_quote(value)}: {'; '.join(value_errors)}")
    if errors:
        raise SelectorError(_aggregate(errors))
    return Requirement(key, op, vals)


@dataclass(frozen=True, slots=True)
class Selector:
    """An AND of requirements, kept sorted by key (stable) as upstream does.

    ``nothing=True`` is ``labels.Nothing()``: it matches no object at all (a nil ``LabelSelector``).
    An empty selector (no requirements) matches everything.
    """

    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False
    _checks: tuple[Check, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.requirements, key=lambda r: r.key))
        object.__setattr__(self, "requirements", ordered)
        object.__setattr__(self, "_checks", tuple(r._check for r in ordered))

    def matches(self, labels: Labels | None) -> bool:
        if self.nothing:
            return False
        if labels is None:
            labels = _NO_LABELS
        for check in self._checks:  # noqa: SIM110 (a loop is faster than all() over a generator)
            if not check(labels):
                return False
        return True

    def is_empty(self) -> bool:
        """True if the selector does not restrict anything (``Nothing`` is not empty)."""
        return not self.requirements and not self.nothing

    def add(self, *requirements: Requirement) -> Selector:
        return Selector((*self.requirements, *requirements), self.nothing)

    def requires_exact_match(self, key: str) -> str | None:
        """The one value ``key`` must have (``k=v``, ``k==v``, ``k in (v)``), e.g. to use an index."""
        for r in self.requirements:
            if r.key == key:
                exact = r.operator in (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.IN)
                return r.values[0] if exact and len(r.values) == 1 else None
        return None

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


EVERYTHING = Selector()
NOTHING = Selector(nothing=True)


# --- the string grammar (labels.Parse) ---

_EOS, _IDENT, _IN, _NOT_IN, _OPEN, _CLOSE, _COMMA, _BANG, _EQ, _EQEQ, _NEQ, _GT, _LT = range(13)
_SYMBOLS = {"(": _OPEN, ")": _CLOSE, ",": _COMMA, "!": _BANG, "=": _EQ, "==": _EQEQ, "!=": _NEQ}
_SYMBOLS |= {">": _GT, "<": _LT}
_SPECIAL = frozenset("()!=,<>")
_SPACE = frozenset(" \t\r\n")
_TOKEN_OPERATORS = {
    _IN: Operator.IN,
    _NOT_IN: Operator.NOT_IN,
    _EQ: Operator.EQUALS,
    _EQEQ: Operator.DOUBLE_EQUALS,
    _NEQ: Operator.NOT_EQUALS,
    _GT: Operator.GREATER_THAN,
    _LT: Operator.LESS_THAN,
}
_EXPECTED_OPERATORS = ", ".join(o.value for o in _BINARY_OPERATORS)
Token = tuple[int, str]


def _lex(text: str) -> list[Token]:
    """Tokens up to and including end-of-string. Symbols take the longest match (``!=`` over ``!``)."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n:
            tokens.append((_EOS, ""))
            return tokens
        j = i + 1
        if text[i] in _SPECIAL:
            while j < n and text[i : j + 1] in _SYMBOLS:
                j += 1
            tokens.append((_SYMBOLS[text[i:j]], text[i:j]))
        else:
            while j < n and text[j] not in _SPECIAL and text[j] not in _SPACE:
                j += 1
            word = text[i:j]
            tokens.append(({"in": _IN, "notin": _NOT_IN}.get(word, _IDENT), word))
        i = j


class _Parser:
    """Recursive descent over the token list; ``in``/``notin`` are keywords only where an operator goes."""

    __slots__ = ("pos", "tokens")

    def __init__(self, text: str) -> None:
        self.tokens = _lex(text)
        self.pos = 0

    def peek(self, operator_position: bool = False) -> Token:
        tok, lit = self.tokens[min(self.pos, len(self.tokens) - 1)]
        if not operator_position and tok in (_IN, _NOT_IN):
            tok = _IDENT
        return tok, lit

    def take(self, operator_position: bool = False) -> Token:
        token = self.peek(operator_position)
        self.pos += 1
        return token

    def selector(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            tok, lit = self.peek()
            if tok == _EOS:
                return requirements
            if tok not in (_IDENT, _BANG):
                raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                requirements.append(self.requirement())
            except SelectorError as exc:
                raise SelectorError(f"unable to parse requirement: {exc}") from None
            tok, lit = self.take()
            if tok == _EOS:
                return requirements
            if tok != _COMMA:
                raise SelectorError(f"found '{lit}', expected: ',' or 'end of string'")
            tok, lit = self.peek()
            if tok not in (_IDENT, _BANG):
                raise SelectorError(f"found '{lit}', expected: identifier after ','")

    def requirement(self) -> Requirement:
        tok, key = self.take()
        negated = tok == _BANG
        if negated:
            tok, key = self.take()
        if tok != _IDENT:
            raise SelectorError(f"found '{key}', expected: identifier")
        if key_errors := label_key_errors(key):
            # Upstream reports this one without a field path, hence "<nil>".
            raise SelectorError(f"<nil>: Invalid value: {go_quote(key)}: {'; '.join(key_errors)}")
        if negated:
            return new_requirement(key, Operator.DOES_NOT_EXIST)
        if self.peek()[0] in (_EOS, _COMMA):
            return new_requirement(key, Operator.EXISTS)
        tok, lit = self.take(operator_position=True)
        if tok not in _TOKEN_OPERATORS:
            raise SelectorError(f"found '{lit}', expected: {_EXPECTED_OPERATORS}")
        op = _TOKEN_OPERATORS[tok]
        values = self.value_set() if op in (Operator.IN, Operator.NOT_IN) else self.exact_value()
        return new_requirement(key, op, sorted(values))

    def value_set(self) -> set[str]:
        tok, lit = self.take()
        if tok != _OPEN:
            raise SelectorError(f"found '{lit}' expected: '('")
        tok, lit = self.peek()
        if tok == _CLOSE:  # "()" is the set holding the empty string
            self.take()
            return {""}
        if tok not in (_IDENT, _COMMA):
            raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")
        values: set[str] = set()
        while True:  # empty items, as in "(a,,b)" or "(,a)", stand for the empty string
            tok, lit = self.take()
            if tok == _IDENT:
                values.add(lit)
                following, text = self.peek()
                if following == _CLOSE:
                    self.take()
                    return values
                if following != _COMMA:
                    raise SelectorError(f"found '{text}', expected: ',' or ')'")
            elif tok == _COMMA:
                following = self.peek()[0]
                if not values or following in (_COMMA, _CLOSE):
                    values.add("")
                if following == _CLOSE:
                    self.take()
                    return values
            else:
                raise SelectorError(f"found '{lit}', expected: ',', or identifier")

    def exact_value(self) -> set[str]:
        if self.peek()[0] in (_EOS, _COMMA):
            return {""}
        tok, lit = self.take()
        if tok != _IDENT:
            raise SelectorError(f"found '{lit}', expected: identifier")
        return {lit}


@lru_cache(maxsize=512)
def parse_selector(text: str) -> Selector:
    """``labels.Parse``: the ``labelSelector`` query string; ``""`` selects everything.

    Cached: informers and watches send the same few selectors over and over, and the result is immutable.
    """
    return Selector(tuple(_Parser(text).selector()))
