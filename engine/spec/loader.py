"""YAML spec files -> documents whose every mapping and list remembers its file and line.

Only safe loading is used. No validation happens here beyond YAML itself:
syntax errors and duplicate keys are collected as diagnostics so that
``validate`` can report them together with everything else.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import Diagnostic, SpecError

SPEC_SUFFIXES = (".yaml", ".yml")


class LocDict(dict):
    """A YAML mapping with the line of the mapping, of each key and of each value."""

    line: int = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_lines: dict = {}
        self.value_lines: dict = {}

    def line_of(self, key) -> int:
        """The line where ``key`` is written, else the mapping's own line."""
        return self.key_lines.get(key, self.line)


class LocList(list):
    """A YAML sequence with its own line and the line of each item."""

    line: int = 0

    def __init__(self, *args):
        super().__init__(*args)
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        """The line of item ``index``, else the sequence's own line."""
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


@dataclass(frozen=True)
class Document:
    """One YAML document of a spec file: ``data`` is its top-level mapping (or whatever was written)."""

    file: str
    line: int
    data: object


@dataclass(frozen=True)
class SourceSet:
    """What was read: the documents, the files, and the raw bytes (for the specs digest)."""

    root: str
    documents: tuple[Document, ...]
    files: tuple[tuple[str, bytes], ...]
    diagnostics: tuple[Diagnostic, ...]


# libyaml's parser when PyYAML was built with it (several times faster), else pure Python.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
    """A safe loader producing LocDict/LocList; dates stay strings; duplicate keys are recorded."""

    def __init__(self, stream, file: str):
        super().__init__(stream)
        self.file = file
        self.problems: list[Diagnostic] = []


# Scalars are resolved as YAML 1.2 core does, not 1.1: `on:`, `yes`, `off` stay
# strings, `22:00` is not the number 1320, dates stay strings.
_RETYPED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _RETYPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0x[0-9a-fA-F]+)$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+.0123456789"),
)


def _construct(loader: _Loader, node: yaml.Node):
    """``construct_object``, with a shortcut for a scalar of a known tag (most nodes of a large
    spec): a scalar is immutable, so it needs none of the bookkeeping that anchors need."""
    if node.__class__ is yaml.ScalarNode:
        constructor = loader.yaml_constructors.get(node.tag)
        if constructor is not None:
            return constructor(loader, node)
    return loader.construct_object(node, deep=True)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LocDict:
    loader.flatten_mapping(node)
    result = LocDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = _construct(loader, key_node)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            key = str(key)
        line = key_node.start_mark.line + 1
        if key in result:
            loader.problems.append(Diagnostic(loader.file, line, str(key), f"duplicate key (first at line {result.key_lines[key]})"))
        result[key] = _construct(loader, value_node)
        result.key_lines.setdefault(key, line)
        result.value_lines[key] = value_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocList:
    result = LocList()
    result.line = node.start_mark.line + 1
    for item in node.value:
        result.append(_construct(loader, item))
        result.item_lines.append(item.start_mark.line + 1)
    return result


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node).replace("_", "")
    return int(text, 16) if text.lower().startswith("0x") else int(text, 10)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def spec_files(path: str | os.PathLike) -> list[Path]:
    """Every ``*.yaml``/``*.yml`` under ``path`` (a folder, searched recursively, or one file), sorted."""
    root = Path(path)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise SpecError([Diagnostic(str(path), 0, "", "no such file or folder (give --specs PATH or set RECON_SPECS)")])
    return sorted(p for p in root.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file())


def display_path(path: Path) -> str:
    """``path`` relative to the working folder when it lies below it, for messages."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_file(path: Path) -> tuple[list[Document], bytes, list[Diagnostic]]:
    """The documents of one file, its bytes, and any YAML problems (syntax, duplicate keys)."""
    name = display_path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        return [], raw, [Diagnostic(name, line, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    loader = _Loader(text, name)
    docs: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            data = loader.construct_document(node)
            if data is not None:
                docs.append(Document(name, node.start_mark.line + 1, data))
    except yaml.YAMLError as exc:
        return docs, raw, loader.problems + [_yaml_diagnostic(name, exc, text)]
    finally:
        loader.dispose()
    return docs, raw, loader.problems


def _yaml_diagnostic(name: str, exc: yaml.YAMLError, text: str) -> Diagnostic:
    """A YAML error at its line: a parser's mark, or a reader's character position (a control character)."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text[:exc.position].count("\n") + 1
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        return Diagnostic(name, line, "", f"YAML syntax error: character {char} is not allowed: {exc.reason}")
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    return Diagnostic(name, line, "", message)


def load_sources(path: str | os.PathLike) -> SourceSet:
    """Read every spec file under ``path``; never raises for content, only for a missing path."""
    documents: list[Document] = []
    files: list[tuple[str, bytes]] = []
    problems: list[Diagnostic] = []
    root = Path(path)
    for file in spec_files(root):
        docs, raw, diags = load_file(file)
        documents.extend(docs)
        rel = file.name if root.is_file() else file.relative_to(root).as_posix()
        files.append((rel, raw))
        problems.extend(diags)
    return SourceSet(str(path), tuple(documents), tuple(files), tuple(problems))
