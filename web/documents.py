"""The GraphQL documents the pages send, read from their ES modules in web/static.

The pages keep every document in a module-level constant, a template literal that may splice
in other constants (`${PRACTICE_FIELDS}`), also imported ones (`import { X } from "./y.js"`).
That is all this reads: the value of each `const NAME = <string or template literal>` whose
substitutions are plain names it can resolve, exactly as the browser builds the string, so that
the id the page computes (SHA-256 of the text) is the id in the manifest. A constant whose text
holds a GraphQL operation is one manifest entry; fragments and other strings are only material.
A document put together at run time any other way would not be in the manifest (and would be
refused with TILPASS_TRUSTED_DOCUMENTS=required): tests/test_documents.py checks with Node that
every exported document of the pages is here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from edge.documents import Operation, manifest, operation_of

STATIC = Path(__file__).resolve().parent / "static"

IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
CONST = re.compile(r"\bconst\s+([A-Za-z_$][\w$]*)\s*=\s*")
IMPORT = re.compile(r"\bimport\s*\{([^}]*)\}\s*from\s*[\"']\./([\w.-]+\.js)[\"']")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}

# A literal's parts: text as it stands, or the name of a constant spliced in.
Parts = list[tuple[str, str]]


class _Unreadable(Exception):
    """A literal this reader does not evaluate (an expression other than a name in `${…}`)."""


def _string(source: str, start: int, quote: str) -> tuple[Parts, int]:
    """The string or template literal opening at `start`, and the index after it."""
    parts: Parts = []
    text: list[str] = []
    i = start + 1
    while i < len(source):
        char = source[i]
        if char == "\\":
            following = source[i + 1 : i + 2]
            if following == "\n":
                pass  # a line continuation adds nothing
            else:
                text.append(ESCAPES.get(following, following))
            i += 2
            continue
        if char == quote:
            parts.append(("text", "".join(text)))
            return parts, i + 1
        if quote == "`" and source.startswith("${", i):
            end = source.find("}", i)
            name = source[i + 2 : end].strip() if end != -1 else ""
            if not IDENTIFIER.fullmatch(name):
                raise _Unreadable
            parts += [("text", "".join(text)), ("name", name)]
            text = []
            i = end + 1
            continue
        if quote != "`" and char == "\n":
            raise _Unreadable
        text.append(char)
        i += 1
    raise _Unreadable


def _skip(source: str, i: int) -> int:
    """Past a comment or literal starting at `i`, so that nothing in it is read as code."""
    if source.startswith("//", i):
        end = source.find("\n", i)
        return len(source) if end == -1 else end
    if source.startswith("/*", i):
        end = source.find("*/", i + 2)
        return len(source) if end == -1 else end + 2
    quote = source[i]
    j = i + 1
    depth = 0
    while j < len(source):
        char = source[j]
        if char == "\\":
            j += 2
            continue
        if quote == "`" and source.startswith("${", j):
            depth += 1
            j += 2
            continue
        if depth and char == "}":
            depth -= 1
        elif not depth and char == quote:
            return j + 1
        j += 1
    return len(source)


def _constants(source: str) -> Iterator[tuple[str, Parts]]:
    """Every `const NAME = "…"` or `` const NAME = `…` `` in a module, in order."""
    i = 0
    while i < len(source):
        char = source[i]
        if source.startswith(("//", "/*"), i) or char in "\"'`":
            i = _skip(source, i)
            continue
        found = CONST.match(source, i) if char == "c" else None
        if found is None or (i > 0 and (source[i - 1].isalnum() or source[i - 1] in "_$")):
            i += 1
            continue
        i = found.end()
        quote = source[i : i + 1]
        if quote in ("'", '"', "`"):
            try:
                parts, i = _string(source, i, quote)
            except _Unreadable:
                i = _skip(source, i)
                continue
            yield found.group(1), parts


class _Modules:
    """The constants of the modules in one folder, their splices resolved across imports."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.constants: dict[str, dict[str, Parts]] = {}
        self.imports: dict[str, dict[str, tuple[str, str]]] = {}
        for path in sorted(folder.glob("*.js")):
            source = path.read_text(encoding="utf-8")
            self.constants[path.name] = dict(_constants(source))
            self.imports[path.name] = {
                local.strip(): (module, original.strip())
                for names, module in IMPORT.findall(source)
                for original, _, local in (
                    (part.partition(" as ")[0], None, part.partition(" as ")[2] or part)
                    for part in names.split(",")
                    if part.strip()
                )
            }

    def value(self, module: str, name: str, seen: frozenset[tuple[str, str]] = frozenset()) -> str:
        if (module, name) in seen:
            raise _Unreadable
        seen = seen | {(module, name)}
        parts = self.constants.get(module, {}).get(name)
        if parts is None:
            imported = self.imports.get(module, {}).get(name)
            if imported is None:
                raise _Unreadable
            return self.value(*imported, seen)
        return "".join(
            piece if kind == "text" else self.value(module, piece, seen) for kind, piece in parts
        )

    def documents(self) -> Iterator[str]:
        for module, constants in self.constants.items():
            for name in constants:
                try:
                    yield self.value(module, name)
                except _Unreadable:
                    continue


def page_documents(folder: Path = STATIC) -> list[str]:
    """The texts of every constant of the pages' modules, each exactly as the browser has it."""
    return list(_Modules(folder).documents())


@cache
def page_operations(folder: Path = STATIC) -> tuple[Operation, ...]:
    """The pages' GraphQL operations, one per document, in the order of the files."""
    seen: dict[str, Operation] = {}
    for text in page_documents(folder):
        operation = operation_of(text)
        if operation is not None:
            seen.setdefault(operation.id, operation)
    return tuple(seen.values())


def page_manifest() -> dict[str, object]:
    """What `tilpass export-documents` prints: Apollo's persisted-query manifest of the pages."""
    return manifest(page_operations())
