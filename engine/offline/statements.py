"""A DDL file as located statements: each with its file, first line, text and sqlglot tree.

Statements are split on the dialect's own tokens (quotes, dollar-quoted bodies and comments
are the tokenizer's business), after psql's backslash commands (``\\restrict``, ``\\connect``)
are blanked. ``kind`` names what a statement is (``CREATE TABLE``, ``SET``, ``COMMENT``...):
``MAPPED`` kinds describe tables, columns, indexes or constraints and must be understood;
every other kind is ignored by the offline state and only counted.
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from ..errors import Diagnostic, SpecError, UsageError
from ..spec.types import SQLGLOT_DIALECT

MAPPED = frozenset({"CREATE TABLE", "CREATE INDEX", "ALTER TABLE", "DROP TABLE", "DROP INDEX", "CREATE VIEW", "DROP VIEW"})
_META = re.compile(r"(?m)^[ \t]*\\.*$")  # psql meta-commands: \restrict KEY, \connect db, \unrestrict KEY
# MySQL's executable comments, which the server runs (mysqldump writes every view inside them):
# ``/*!50001 ... */`` and MariaDB's ``/*M!100100 ... */``; ``/*M!999999\- ...*/`` is for the client alone.
_EXECUTABLE = re.compile(r"/\*(M?!)(\d{5,6})?(.*?)\*/", re.DOTALL)
_SKIPPED = frozenset({"UNIQUE", "UNLOGGED", "OR", "REPLACE", "IF", "NOT", "EXISTS", "ONLY", "GLOBAL", "LOCAL",
                      "MATERIALIZED", "RECURSIVE", "TEMP", "TEMPORARY", "CONCURRENTLY", "ALGORITHM", "DEFINER", "SQL", "SECURITY"})


@dataclass(frozen=True)
class Statement:
    """One statement of a DDL file; ``tree`` is None where sqlglot could not parse it."""

    file: str
    line: int
    text: str
    kind: str
    tree: exp.Expression | None
    temporary: bool = False

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def error(self, message: str) -> SpecError:
        """This statement cannot be mapped: a located error (exit 1), never a silent gap."""
        return SpecError([Diagnostic(self.file, self.line, self.kind, message)],
                         f"{self.file}:{self.line}: cannot read this {self.kind} offline")


def read_file(path: str, dialect: str) -> list[Statement]:
    """Every statement of ``path`` in ``dialect`` (postgresql, mysql, sqlite), in file order."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--base {path}: cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"--base {path}: not UTF-8 text") from None
    return split(text, path, dialect)


def split(text: str, file: str, dialect: str) -> list[Statement]:
    """The statements of ``text`` (a file's content, named ``file`` in messages)."""
    masked = _META.sub(lambda m: " " * len(m.group()), text)
    name = SQLGLOT_DIALECT[dialect]
    if name == "mysql":
        masked = _EXECUTABLE.sub(_unwrapped, masked)
    try:
        tokens = Dialect.get_or_raise(name).tokenize(masked)
    except SqlglotError as exc:
        raise SpecError([Diagnostic(file, 0, "tokens", f"cannot split into statements: {exc}")]) from None
    out, chunk = [], []
    for token in tokens + [None]:
        if token is None or token.token_type == TokenType.SEMICOLON:
            if chunk:
                out.append(_statement(masked[chunk[0].start : chunk[-1].end + 1], file, chunk, name))
            chunk = []
        else:
            chunk.append(token)
    return out


def _unwrapped(match: re.Match) -> str:
    """An executable comment's text in place of the comment, same length and lines (the client-only
    ``999999`` ones stay comments)."""
    if match.group(2) == "999999":
        return match.group()
    head = 2 + len(match.group(1)) + len(match.group(2) or "")
    return " " * head + match.group(3) + "  "


def _statement(text: str, file: str, tokens, dialect: str) -> Statement:
    words = [t.text.upper() for t in tokens[:8] if t.token_type not in (TokenType.IDENTIFIER, TokenType.STRING)]
    kind = _kind(words)
    if kind.startswith("CREATE ") and _creates_view(tokens):
        kind = "CREATE VIEW"  # mysqldump's CREATE ALGORITHM=... DEFINER=`u`@`h` SQL SECURITY ... VIEW
    temporary = any(w in ("TEMP", "TEMPORARY") for w in words[:3])
    with _quiet():
        try:
            tree = sqlglot.parse_one(text, read=dialect)
        except SqlglotError:
            tree = None
    return Statement(file, tokens[0].line, text, kind, tree, temporary)


def _creates_view(tokens) -> bool:
    """Whether a CREATE's words before its ``AS`` include ``VIEW``, however many modifiers come first."""
    for token in tokens:
        word = token.text.upper() if token.token_type not in (TokenType.IDENTIFIER, TokenType.STRING) else ""
        if word in ("AS", "("):
            return False
        if word == "VIEW":
            return True
    return False


def _kind(words: list[str]) -> str:
    """``CREATE TABLE``, ``CREATE INDEX``, ``ALTER TABLE``, ``SET``, ``CREATE FUNCTION``...: the
    statement's verb and, for CREATE/ALTER/DROP, its object, skipping modifiers."""
    if not words:
        return "?"
    verb = words[0]
    if verb not in ("CREATE", "ALTER", "DROP"):
        return verb
    rest = [w for w in words[1:] if w not in _SKIPPED and "=" not in w]
    obj = rest[0] if rest else ""
    if obj == "VIEW" or (verb == "CREATE" and obj == "MATERIALIZED"):
        obj = "VIEW"
    return f"{verb} {obj}".strip()


@contextmanager
def _quiet():
    """sqlglot logs a warning for each statement it keeps as a plain command (``OWNER TO``...)."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
