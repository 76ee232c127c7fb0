"""JUEL tokenizer for the inside of one `${...}` block."""

from __future__ import annotations

import re

from ..errors import FeelSyntaxError
from ..lexer import EOF, KEYWORD, NAME, NUMBER, OP, STRING, Token

KEYWORDS = frozenset(
    {
        "true",
        "false",
        "null",
        "empty",
        "not",
        "and",
        "or",
        "eq",
        "ne",
        "lt",
        "gt",
        "le",
        "ge",
        "div",
        "mod",
        "instanceof",
    }
)
_NAME_RE = re.compile(r"[A-Za-z_$][\w$]*")
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?")
_OPERATORS = (
    "==",
    "!=",
    "<=",
    ">=",
    "&&",
    "||",
    "<",
    ">",
    "!",
    "+",
    "-",
    "*",
    "/",
    "%",
    "?",
    ":",
    ".",
    "[",
    "]",
    "(",
    ")",
    ",",
)


def tokenize_block(source: str, start: int) -> tuple[list[Token], int]:
    """Tokenize from `start` (just after `${`) to the closing `}`.

    Returns the tokens (ending with EOF at the brace) and the index after `}`.
    """
    tokens: list[Token] = []
    index = start
    length = len(source)
    while True:
        while index < length and source[index].isspace():
            index += 1
        if index >= length:
            raise FeelSyntaxError.at("missing '}' to close the expression", source, start - 2)
        char = source[index]
        if char == "}":
            tokens.append(Token(EOF, "}", index))
            return tokens, index + 1
        if char in "'\"":
            value, end = _read_string(source, index)
            tokens.append(Token(STRING, source[index:end], index, value))
            index = end
            continue
        match = _NAME_RE.match(source, index)
        if match:
            word = match.group()
            tokens.append(Token(KEYWORD if word in KEYWORDS else NAME, word, index, word))
            index = match.end()
            continue
        match = _NUMBER_RE.match(source, index)
        if match:
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


def _read_string(source: str, start: int) -> tuple[str, int]:
    quote = source[start]
    parts: list[str] = []
    index = start + 1
    while index < len(source):
        char = source[index]
        if char == quote:
            return "".join(parts), index + 1
        if char == "\\" and index + 1 < len(source) and source[index + 1] in "'\"\\":
            parts.append(source[index + 1])
            index += 2
            continue
        parts.append(char)
        index += 1
    raise FeelSyntaxError.at("unterminated string", source, start)
