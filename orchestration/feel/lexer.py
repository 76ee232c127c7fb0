"""FEEL tokenizer.

Built-in function names that contain spaces ("string length", "date and time")
are recognised as one NAME token when an opening parenthesis follows, so the
parser never has to guess whether `and` is an operator or part of a name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import FeelSyntaxError

NUMBER = "number"
STRING = "string"
NAME = "name"
KEYWORD = "keyword"
OP = "op"
EOF = "eof"

KEYWORDS = frozenset(
    {
        "true",
        "false",
        "null",
        "if",
        "then",
        "else",
        "for",
        "in",
        "return",
        "some",
        "every",
        "satisfies",
        "and",
        "or",
        "between",
        "instance",
        "of",
    }
)

MULTI_WORD_FUNCTIONS = (
    "string length",
    "upper case",
    "lower case",
    "substring before",
    "substring after",
    "starts with",
    "ends with",
    "string join",
    "list contains",
    "distinct values",
    "index of",
    "insert before",
    "is defined",
    "get or else",
    "date and time",
    "years and months duration",
    "get value",
    "get entries",
    "context put",
    "context merge",
    "round up",
    "round down",
    "round half up",
    "round half down",
    "day of week",
    "day of year",
    "month of year",
    "week of year",
    "last day of month",
    "is empty",
)

_MULTI_WORD_RE = re.compile(
    "(?:"
    + "|".join(
        r"\s+".join(re.escape(word) for word in name.split())
        for name in sorted(MULTI_WORD_FUNCTIONS, key=len, reverse=True)
    )
    + r")(?![\w])(?=\s*\()"
)
_NAME_RE = re.compile(r"[^\W\d]\w*")
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_OPERATORS = (
    "**",
    "..",
    "<=",
    ">=",
    "!=",
    "+",
    "-",
    "*",
    "/",
    "=",
    "<",
    ">",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ".",
    ":",
    "@",
)
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "r": "\r", "t": "\t"}
# Tokens after which a '.' starts a path rather than a number like `.5`.
_VALUE_END = frozenset({")", "]", "}"})


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    position: int
    value: str = ""

    def is_op(self, *texts: str) -> bool:
        return self.kind == OP and self.text in texts

    def is_keyword(self, *texts: str) -> bool:
        return self.kind == KEYWORD and self.text in texts

    def describe(self) -> str:
        if self.kind == EOF:
            return "end of expression"
        return f"'{self.text}'"


def tokenize(source: str) -> list[Token]:
    """Split FEEL source into tokens; a single leading '=' is skipped."""
    tokens: list[Token] = []
    index = 0
    length = len(source)
    while index < length and source[index].isspace():
        index += 1
    if index < length and source[index] == "=":
        index += 1
    while True:
        index = _skip_space_and_comments(source, index)
        if index >= length:
            tokens.append(Token(EOF, "", length))
            return tokens
        char = source[index]
        if char == '"':
            value, end = _read_string(source, index)
            tokens.append(Token(STRING, source[index:end], index, value))
            index = end
            continue
        if char == "`":
            end = source.find("`", index + 1)
            if end < 0 or end == index + 1:
                raise FeelSyntaxError.at("unterminated `name`", source, index)
            name = source[index + 1 : end]
            tokens.append(Token(NAME, source[index : end + 1], index, name))
            index = end + 1
            continue
        match = _MULTI_WORD_RE.match(source, index)
        if match:
            name = " ".join(match.group().split())
            tokens.append(Token(NAME, match.group(), index, name))
            index = match.end()
            continue
        match = _NAME_RE.match(source, index)
        if match:
            word = match.group()
            kind = KEYWORD if word in KEYWORDS else NAME
            tokens.append(Token(kind, word, index, word))
            index = match.end()
            continue
        if source.startswith("..", index):
            tokens.append(Token(OP, "..", index))
            index += 2
            continue
        match = _NUMBER_RE.match(source, index)
        if match and not (char == "." and _follows_value(tokens)):
            tokens.append(Token(NUMBER, match.group(), index, match.group()))
            index = match.end()
            continue
        for operator in _OPERATORS:
            if source.startswith(operator, index):
                tokens.append(Token(OP, operator, index))
                index += len(operator)
                break
        else:
            raise FeelSyntaxError.at(f"unexpected character {char!r}", source, index)


def _follows_value(tokens: list[Token]) -> bool:
    if not tokens:
        return False
    last = tokens[-1]
    return last.kind in (NAME, NUMBER, STRING) or last.text in _VALUE_END


def _skip_space_and_comments(source: str, index: int) -> int:
    length = len(source)
    while index < length:
        if source[index].isspace():
            index += 1
        elif source.startswith("//", index):
            end = source.find("\n", index)
            index = length if end < 0 else end + 1
        elif source.startswith("/*", index):
            end = source.find("*/", index + 2)
            if end < 0:
                raise FeelSyntaxError.at("unterminated comment", source, index)
            index = end + 2
        else:
            break
    return index


def _read_string(source: str, start: int) -> tuple[str, int]:
    """Read a double-quoted string starting at `start`; return (value, end)."""
    parts: list[str] = []
    index = start + 1
    length = len(source)
    while index < length:
        char = source[index]
        if char == '"':
            return "".join(parts), index + 1
        if char == "\\" and index + 1 < length:
            escaped = source[index + 1]
            if escaped in _ESCAPES:
                parts.append(_ESCAPES[escaped])
                index += 2
                continue
            if escaped == "u":
                digits = source[index + 2 : index + 6]
                if len(digits) == 4 and all(c in "0123456789abcdefABCDEF" for c in digits):
                    parts.append(chr(int(digits, 16)))
                    index += 6
                    continue
                raise FeelSyntaxError.at("invalid \\u escape", source, index)
            parts.append(char)
            index += 1
            continue
        parts.append(char)
        index += 1
    raise FeelSyntaxError.at("unterminated string", source, start)
