"""The PDL subset the reference Core runs: tokenizer and parser, producing a `Program`.

A program is a chain of stages separated by `|`; each stage takes one event and passes one event
on, or none (the event is filtered out). The stages:

    program    := stage ('|' stage)*
    stage      := 'eval' NAME '=' value
                | 'rename' NAME 'as' NAME (',' NAME 'as' NAME)*
                | 'fields' NAME (',' NAME)*
                | expression                      a query: keeps the event when it holds
    expression := conjunct ('OR' conjunct)*
    conjunct   := negation ('AND' negation)*
    negation   := 'NOT' negation | '(' expression ')' | NAME operator literal
    operator   := '=' | '!=' | '<' | '<=' | '>' | '>=' | '?='
    value      := literal | NAME                  a NAME copies that field's value
    literal    := "double-quoted string" | number

Keywords (`AND`, `OR`, `NOT`, `eval`, `rename`, `as`, `fields`) are case-insensitive. `AND`, `OR`,
`NOT` and `as` cannot be field names; a command word is a command only when a field name follows
it, so a field may still be called `fields` (`fields = 1` is a query).
Field names are dotted paths (`user.name`) and may hold letters, digits, `_`, `-`, `@` and `.`.
Strings take `\\"` and `\\\\` escapes. Errors name a 1-based character position:
`pdl error at position 12: expected a value after '='`. Evaluation lives in `pdlrun.py`.

Pure module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class PdlError(ValueError):
    """A program that does not parse; `position` is the 1-based character where it went wrong."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"pdl error at position {position}: {reason}")
        self.position = position
        self.reason = reason


class Operator(StrEnum):
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    CONTAINS = "?="


Literal = str | int | float


@dataclass(frozen=True, slots=True)
class Compare:
    field: str
    operator: Operator
    value: Literal


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expression


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Expression, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Expression, ...]


Expression = Compare | Not | And | Or


@dataclass(frozen=True, slots=True)
class FieldRef:
    """An `eval` value that copies another field."""

    name: str


@dataclass(frozen=True, slots=True)
class Filter:
    expression: Expression


@dataclass(frozen=True, slots=True)
class Eval:
    name: str
    value: Literal | FieldRef


@dataclass(frozen=True, slots=True)
class Rename:
    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Fields:
    names: tuple[str, ...]


Stage = Filter | Eval | Rename | Fields


@dataclass(frozen=True, slots=True)
class Program:
    text: str
    stages: tuple[Stage, ...]


class TokenKind(StrEnum):
    NAME = "name"
    STRING = "string"
    NUMBER = "number"
    OPERATOR = "operator"
    PUNCT = "punctuation"
    END = "end"


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    position: int  # 1-based

    def is_word(self, word: str) -> bool:
        return self.kind is TokenKind.NAME and self.text.lower() == word

    def describe(self) -> str:
        return "the end of the program" if self.kind is TokenKind.END else repr(self.text)


_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?(?![\w.@-]))
      | (?P<operator>!=|<=|>=|\?=|=|<|>)
      | (?P<punctuation>[()|,])
      | (?P<name>[A-Za-z_@][\w.@-]*)""",
    re.VERBOSE,
)
_COMMANDS = ("eval", "rename", "fields")
_RESERVED = frozenset({"and", "or", "not", "as"})


def tokenize(text: str) -> list[Token]:
    """The tokens of `text`, ending with an END token; raises PdlError on a stray character."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            if text[position] == '"':
                raise PdlError(position + 1, "unterminated string")
            raise PdlError(position + 1, f"unexpected character {text[position]!r}")
        kind = match.lastgroup
        if kind != "space":
            tokens.append(Token(TokenKind(str(kind)), match.group(), position + 1))
        position = match.end()
    tokens.append(Token(TokenKind.END, "", len(text) + 1))
    return tokens


def parse(text: str) -> Program:
    """The program `text` holds; raises PdlError naming the position of the first problem."""
    return _Parser(tokenize(text)).program(text)


class _Parser:
    """Recursive descent over the token list; each method consumes what its rule names."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def error(self, reason: str) -> PdlError:
        return PdlError(self.current.position, reason)

    def program(self, text: str) -> Program:
        if self.tokens[0].kind is TokenKind.END:
            raise self.error("the program is empty")
        stages = [self.stage("the start of the program")]
        while self.current.text == "|" and self.current.kind is TokenKind.PUNCT:
            self.advance()
            stages.append(self.stage("'|'"))
        if self.current.kind is not TokenKind.END:
            raise self.error(f"unexpected {self.current.describe()}; expected AND, OR or '|'")
        return Program(text, tuple(stages))

    def stage(self, after: str) -> Stage:
        token = self.current
        if token.kind is TokenKind.END or token.text == "|":
            raise self.error(f"expected a stage after {after}")
        following = self.tokens[self.index + 1]
        if token.text.lower() in _COMMANDS and following.kind in (TokenKind.END, TokenKind.PUNCT):
            raise PdlError(following.position, f"expected a field name after '{token.text}'")
        if token.text.lower() in _COMMANDS and following.kind is TokenKind.NAME:
            self.advance()
            command = token.text.lower()
            if command == "eval":
                return self.eval_stage()
            return self.rename_stage() if command == "rename" else self.fields_stage()
        return Filter(self.expression())

    def eval_stage(self) -> Eval:
        name = self.field("'eval'")
        self.expect_operator("=", f"'{name}'")
        token = self.current
        if token.kind is TokenKind.NAME and token.text.lower() not in _RESERVED:
            return Eval(name, FieldRef(self.advance().text))
        return Eval(name, self.literal("'='"))

    def rename_stage(self) -> Rename:
        pairs = [self.rename_pair("'rename'")]
        while self.take_comma():
            pairs.append(self.rename_pair("','"))
        return Rename(tuple(pairs))

    def rename_pair(self, after: str) -> tuple[str, str]:
        old = self.field(after)
        if not self.current.is_word("as"):
            raise self.error(f"expected 'as' after '{old}'")
        self.advance()
        return old, self.field("'as'")

    def fields_stage(self) -> Fields:
        names = [self.field("'fields'")]
        while self.take_comma():
            names.append(self.field("','"))
        return Fields(tuple(names))

    def take_comma(self) -> bool:
        if self.current.kind is TokenKind.PUNCT and self.current.text == ",":
            self.advance()
            return True
        return False

    def expression(self) -> Expression:
        operands = [self.conjunct()]
        while self.current.is_word("or"):
            self.advance()
            operands.append(self.conjunct())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def conjunct(self) -> Expression:
        operands = [self.negation()]
        while self.current.is_word("and"):
            self.advance()
            operands.append(self.negation())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def negation(self) -> Expression:
        token = self.current
        if token.is_word("not"):
            self.advance()
            return Not(self.negation())
        if token.kind is TokenKind.PUNCT and token.text == "(":
            self.advance()
            inner = self.expression()
            if self.current.text != ")" or self.current.kind is not TokenKind.PUNCT:
                raise self.error(f"expected ')' to close the '(' at position {token.position}")
            self.advance()
            return inner
        return self.comparison()

    def comparison(self) -> Compare:
        name = self.field(None)
        if self.current.kind is not TokenKind.OPERATOR:
            raise self.error(f"expected a comparison operator after '{name}'")
        operator = Operator(self.advance().text)
        return Compare(name, operator, self.literal(f"'{operator.value}'"))

    def field(self, after: str | None) -> str:
        token = self.current
        if token.kind is not TokenKind.NAME or token.text.lower() in _RESERVED:
            where = f" after {after}" if after else ""
            raise self.error(f"expected a field name{where}, found {token.describe()}")
        return self.advance().text

    def expect_operator(self, operator: str, after: str) -> None:
        if self.current.kind is not TokenKind.OPERATOR or self.current.text != operator:
            raise self.error(f"expected '{operator}' after {after}")
        self.advance()

    def literal(self, after: str) -> Literal:
        token = self.current
        if token.kind is TokenKind.STRING:
            self.advance()
            return _unescape(token.text[1:-1])
        if token.kind is TokenKind.NUMBER:
            self.advance()
            return float(token.text) if "." in token.text else int(token.text)
        raise self.error(f"expected a value after {after}")


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", r"\1", body)
