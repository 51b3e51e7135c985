"""Go's regular expressions (RE2 syntax, as ``pattern`` in a CRD schema uses them) on Python's ``re``.

A pattern is rewritten once, then compiled; matching is a search, as Go's ``MatchString`` is. The
rewrite keeps RE2's meaning where the two differ:

- ``$`` ends the text (not a last line) unless ``(?m)`` is on, ``\\z`` is ``\\Z``; ``\\d``, ``\\w``,
  ``\\s`` and ``\\b`` are ASCII-only; ``\\Q...\\E`` is literal; ``[[:alpha:]]`` classes are expanded;
  ``(?<name>`` is ``(?P<name>``; flags set mid-pattern (``a(?i)b``) apply to the rest of their group;
- RE2 refuses what Python would take: look-arounds, back-references, atomic groups, possessive
  quantifiers and repeat counts above 1000. Such a pattern is invalid, with Go's message
  (``error parsing regexp: invalid or unsupported Perl syntax: `(?=```).

Unicode classes (``\\p{L}``...) are approximated by the nearest Python class (letters, digits), and any
other class by "any character", so a pattern RE2 takes is never refused here.
"""

from __future__ import annotations

import functools
import re

_ASCII_CLASSES = {
    "d": "[0-9]",
    "D": "[^0-9]",
    "w": "[0-9A-Za-z_]",
    "W": "[^0-9A-Za-z_]",
    "s": "[\\t\\n\\f\\r ]",
    "S": "[^\\t\\n\\f\\r ]",
}
_IN_CLASS = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\\t\\n\\f\\r "}
_POSIX = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_LETTER, _NOT_LETTER = "[^\\W\\d_]", "[\\W\\d_]"
_UNICODE = {"L": (_LETTER, _NOT_LETTER), "Lu": (_LETTER, _NOT_LETTER), "Ll": (_LETTER, _NOT_LETTER)}
_UNICODE |= {"N": ("\\d", "\\D"), "Nd": ("\\d", "\\D")}
_ANY = "[\\s\\S]"
_PERL = ("(?=", "(?!", "(?<=", "(?<!", "(?>", "(?#")
_REPEAT = re.compile(r"\{(\d+)(,(\d*))?\}")
_MAX_REPEAT = 1000


class PatternError(ValueError):
    """A pattern Go's ``regexp.Compile`` refuses; ``str()`` is Go's message."""


def _fail(code: str, expr: str) -> PatternError:
    return PatternError(f"error parsing regexp: {code}: `{expr}`")


class _Rewriter:
    def __init__(self, pattern: str) -> None:
        self.src = pattern
        self.out: list[str] = []
        self.i = 0
        self.closers: list[int] = [0]  # scoped-flag groups to close when the current group ends
        self.multiline = re.search(r"\(\?[a-zA-Z]*m[a-zA-Z-]*[:)]", pattern) is not None

    def run(self) -> str:
        while self.i < len(self.src):
            char = self.src[self.i]
            if char == "\\":
                self._escape()
            elif char == "[":
                self._class()
            elif char == "(":
                self._group()
            elif char == ")":
                self.out.append(")" * self.closers.pop() if len(self.closers) > 1 else "")
                self.out.append(")")
                self.i += 1
            elif char == "$" and not self.multiline:
                self.out.append("\\Z")
                self.i += 1
            elif char == "{":
                self._repeat()
            elif char in "*+?" and self.src[self.i + 1 : self.i + 2] == "+":
                raise _fail("invalid nested repetition operator", self.src[self.i : self.i + 2])
            else:
                self.out.append(char)
                self.i += 1
        self.out.append(")" * self.closers[0])
        return "".join(self.out)

    def _repeat(self) -> None:
        match = _REPEAT.match(self.src, self.i)
        if match is not None:
            low, high = int(match.group(1)), match.group(3)
            if low > _MAX_REPEAT or (high and int(high) > _MAX_REPEAT):
                raise _fail("invalid repeat count", match.group(0))
            self.out.append(match.group(0))
            self.i = match.end()
            return
        self.out.append("\\{")
        self.i += 1

    def _escape(self) -> None:
        pair = self.src[self.i : self.i + 2]
        letter = pair[1:]
        if letter in _ASCII_CLASSES:
            self.out.append(_ASCII_CLASSES[letter])
        elif letter == "z":
            self.out.append("\\Z")
        elif not letter:
            raise _fail("trailing backslash at end of expression", "")
        elif letter == "Z" or (letter.isdigit() and letter != "0"):
            raise _fail("invalid escape sequence", pair)
        elif letter == "x" and self.src.startswith("{", self.i + 2):
            close = self.src.find("}", self.i)
            if close < 0:
                raise _fail("invalid escape sequence", self.src[self.i :])
            self.out.append(f"\\U{int(self.src[self.i + 3 : close] or '0', 16):08x}")
            self.i = close + 1
            return
        elif letter == "Q":
            end = self.src.find("\\E", self.i + 2)
            end = len(self.src) if end < 0 else end
            self.out.append(re.escape(self.src[self.i + 2 : end]))
            self.i = end + 2
            return
        elif letter in ("p", "P"):
            self._unicode(negated=letter == "P")
            return
        else:
            self.out.append(pair)
        self.i += 2

    def _unicode(self, *, negated: bool) -> None:
        rest = self.src[self.i + 2 :]
        if rest.startswith("{"):
            close = rest.find("}")
            if close < 0:
                raise _fail("invalid character class range", self.src[self.i :])
            name, length = rest[1:close], close + 1
        else:
            name, length = rest[:1], 1
        positive, negative = _UNICODE.get(name.lstrip("^"), (_ANY, _ANY))
        self.out.append(negative if negated != name.startswith("^") else positive)
        self.i += 2 + length

    def _class(self) -> None:
        end = self.i + 1
        if self.src[end : end + 1] == "^":
            end += 1
        if self.src[end : end + 1] == "]":
            end += 1
        parts: list[str] = ["["]
        j = self.i + 1
        while True:
            if end >= len(self.src):
                raise _fail("missing closing ]", self.src[self.i :])
            if self.src[end] == "]":
                break
            if self.src[end] == "\\":
                end += 2
            elif self.src.startswith("[:", end) and ":]" in self.src[end:]:
                end = self.src.index(":]", end) + 2
            else:
                end += 1
        body = self.src[j:end]
        parts.append(_class_body(body))
        parts.append("]")
        self.out.append("".join(parts))
        self.i = end + 1

    def _group(self) -> None:
        rest = self.src[self.i :]
        for perl in _PERL:
            if rest.startswith(perl):
                raise _fail("invalid or unsupported Perl syntax", perl)
        if rest.startswith("(?<") or rest.startswith("(?P<"):
            self.out.append("(?P<")
            self.i += 3 if rest.startswith("(?<") else 4
            self.closers.append(0)
            return
        flags = re.match(r"\(\?([imsU-]*)([:)])", rest)
        if flags is None:
            self.out.append("(")
            self.i += 1
            self.closers.append(0)
            return
        letters = flags.group(1).replace("U", "")
        self.i += flags.end()
        if flags.group(2) == ":":
            self.out.append(f"(?{letters}:" if letters.strip("-") else "(?:")
            self.closers.append(0)
        elif letters.strip("-"):  # (?i) applies to the rest of the enclosing group
            self.out.append(f"(?{letters}:")
            self.closers[-1] += 1


def _class_body(body: str) -> str:
    out: list[str] = []
    k = 0
    while k < len(body):
        if body.startswith("[:", k) and ":]" in body[k:]:
            close = body.index(":]", k)
            name = body[k + 2 : close]
            negated = name.startswith("^")
            if name.lstrip("^") not in _POSIX or negated:
                raise _fail("invalid character class range", body[k : close + 2])
            out.append(_POSIX[name])
            k = close + 2
        elif body[k] == "\\" and k + 1 < len(body):
            letter = body[k + 1]
            out.append(_IN_CLASS.get(letter, body[k : k + 2]))
            k += 2
        elif body[k] == "[":
            out.append("\\[")
            k += 1
        else:
            out.append(body[k])
            k += 1
    return "".join(out)


def _python_message(error: re.error, pattern: str, rewritten: str) -> str:
    text = str(error.msg)
    pos = error.pos if error.pos is not None else 0
    if text.startswith("nothing to repeat"):
        return f"error parsing regexp: missing argument to repetition operator: `{rewritten[pos : pos + 1]}`"
    if text.startswith("multiple repeat"):
        operators = rewritten[max(pos - 1, 0) : pos + 1]
        return f"error parsing regexp: invalid nested repetition operator: `{operators}`"
    if text.startswith("missing ), unterminated subpattern"):
        return f"error parsing regexp: missing closing ): `{pattern}`"
    if text.startswith("unbalanced parenthesis"):
        return f"error parsing regexp: unexpected ): `{pattern}`"
    if text.startswith("bad character range"):
        return f"error parsing regexp: invalid character class range: `{text.rsplit(' ', 1)[-1]}`"
    if text.startswith("bad escape"):
        return f"error parsing regexp: invalid escape sequence: `{text.split(' ')[2]}`"
    return f"error parsing regexp: {text}: `{pattern}`"


@functools.lru_cache(maxsize=4096)
def compile_go(pattern: str) -> re.Pattern[str]:
    """``regexp.Compile``: the compiled pattern, or :class:`PatternError` with Go's message."""
    try:
        rewritten = _Rewriter(pattern).run()
    except (IndexError, ValueError) as error:
        if isinstance(error, PatternError):
            raise
        raise _fail("missing closing )", pattern) from None
    try:
        return re.compile(rewritten)
    except re.error as error:
        raise PatternError(_python_message(error, pattern, rewritten)) from None


def pattern_error(pattern: str) -> str | None:
    """Go's message when ``pattern`` does not compile, else ``None``."""
    try:
        compile_go(pattern)
    except PatternError as error:
        return str(error)
    return None


def matches(pattern: str, text: str) -> bool:
    """``regexp.MatchString``: whether ``pattern`` matches anywhere in ``text``."""
    return compile_go(pattern).search(text) is not None
