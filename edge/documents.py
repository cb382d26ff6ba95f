"""Persisted and trusted documents: a request may name its GraphQL document by id instead of
sending it.

- `documentId` (GraphQL over HTTP, Appendix A) in a POST body or a GET query string:
  `sha256:<hex of the document's UTF-8 bytes>`, the bare hex accepted too;
- Apollo's automatic persisted queries: `extensions.persistedQuery.sha256Hash`.

Known documents are those of the manifests (the pages' own, built from web/static, and the
extra ones named by TILPASS_PERSISTED_DOCUMENTS), and, when trusted documents are optional, the
ones clients registered by sending an id together with its document. With
TILPASS_TRUSTED_DOCUMENTS=required only manifest documents run: a free-form document is
refused and nothing can be registered.

A document sent with its id is registered only once it has parsed, passed validation and kept
within the limits (the view calls `register` after running it), so a client cannot store
documents the service would never run. Registered documents live in this process only, at
most `MAX_REGISTERED` of them and `MAX_REGISTERED_BYTES` of their text (the least recently
used go first), so that no client can fill the memory with made-up documents; behind a load
balancer another instance may answer PERSISTED_QUERY_NOT_FOUND once, and the client sends the
document again, as the protocol has it."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from cross_web import HTTPException
from graphql import GraphQLError, OperationDefinitionNode, parse

from edge.bounded import Bounded
from settings import SettingsError

PREFIX = "sha256:"
MANIFEST_FORMAT = "apollo-persisted-query-manifest"
MAX_REGISTERED = 10_000
MAX_REGISTERED_BYTES = 16 * 1024 * 1024
# What a registered document costs beyond its text: its id and the dictionary's slot.
DOCUMENT_OVERHEAD = 256
HEX = re.compile(r"[0-9a-f]{64}")

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
ID_REQUIRED = "PERSISTED_QUERY_ID_REQUIRED"
HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
BAD_REQUEST = "BAD_REQUEST"

MESSAGES = {
    NOT_FOUND: (
        "Tjenesten kjenner ikke dokumentet med denne id-en. Send dokumentet (query) sammen "
        "med id-en, så blir det registrert."
    ),
    ID_REQUIRED: (
        "Tjenesten kjører bare kjente dokumenter: send documentId (sha256:…) for et dokument "
        "i manifestet i stedet for selve dokumentet."
    ),
    HASH_MISMATCH: "Id-en (documentId eller sha256Hash) stemmer ikke med dokumentet som ble sendt.",
    BAD_REQUEST: "documentId må være sha256: fulgt av 64 heksadesimale tegn.",
}
# With trusted documents required, sending the document along registers nothing.
NOT_IN_MANIFEST = "Tjenesten kjenner ikke dokumentet med denne id-en: det er ikke i manifestet."


class DocumentRefused(HTTPException):
    """A request error about the document's id, with a stable `extensions.code`."""

    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(400, message or MESSAGES[code])
        self.code = code


@dataclass(frozen=True)
class Operation:
    """One entry of an Apollo persisted-query manifest."""

    id: str
    name: str
    type: str
    body: str

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "type": self.type, "body": self.body}


def id_of(body: str) -> str:
    """The bare id of a document: the hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def operation_of(body: str) -> Operation | None:
    """The manifest entry for a document, or None when `body` holds no GraphQL operation
    (a fragment alone, or no GraphQL at all)."""
    try:
        parsed = parse(body, no_location=True)
    except GraphQLError:
        return None
    operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    if not operations:
        return None
    first = operations[0]
    name = first.name.value if first.name else ""
    return Operation(id_of(body), name, first.operation.value, body)


def manifest(operations: Iterable[Operation]) -> dict[str, Any]:
    """Apollo's persisted-query manifest of `operations`."""
    return {
        "format": MANIFEST_FORMAT,
        "version": 1,
        "operations": [operation.as_json() for operation in operations],
    }


def read_manifest(path: Path) -> list[Operation]:
    """The operations of a manifest file; SettingsError, naming the file and what is wrong,
    when it is no manifest we can trust (an id that is not the SHA-256 of its body included:
    clients compute the id from the body)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"TILPASS_PERSISTED_DOCUMENTS: fant ikke {path} ({exc}).") from exc
    except ValueError as exc:
        raise SettingsError(f"TILPASS_PERSISTED_DOCUMENTS: {path} er ikke gyldig JSON.") from exc
    if not (
        isinstance(data, dict)
        and data.get("format") == MANIFEST_FORMAT
        and data.get("version") == 1
        and isinstance(data.get("operations"), list)
    ):
        raise SettingsError(
            f"TILPASS_PERSISTED_DOCUMENTS: {path} er ikke et manifest i formatet "
            f'"{MANIFEST_FORMAT}", versjon 1.'
        )
    operations = []
    for index, entry in enumerate(data["operations"]):
        body = entry.get("body") if isinstance(entry, dict) else None
        if not isinstance(body, str) or operation_of(body) is None:
            raise SettingsError(
                f"TILPASS_PERSISTED_DOCUMENTS: operasjon {index} i {path} har ingen gyldig body."
            )
        stated = str(entry.get("id", "")).removeprefix(PREFIX).lower()
        operation = operation_of(body)
        assert operation is not None
        if stated != operation.id:
            raise SettingsError(
                f"TILPASS_PERSISTED_DOCUMENTS: id-en til operasjon {index} ({entry.get('name')}) "
                f"i {path} er ikke SHA-256 av dens body."
            )
        operations.append(operation)
    return operations


def bare_id(value: object) -> str | None:
    """The bare hex id a `documentId` or `sha256Hash` names; None when it names none."""
    if not isinstance(value, str):
        return None
    bare = value.removeprefix(PREFIX).lower()
    return bare if HEX.fullmatch(bare) else None


def _bare_id(value: object) -> str:
    bare = bare_id(value)
    if bare is None:
        raise DocumentRefused(BAD_REQUEST)
    return bare


def named_id(document_id: object, extensions: dict[str, Any] | None) -> object:
    """What a request names its document by: `documentId`, else APQ's `sha256Hash`; None when
    it names none. Raises DocumentRefused for a malformed `persistedQuery`."""
    return document_id if document_id is not None else _apq_hash(extensions)


def _apq_hash(extensions: dict[str, Any] | None) -> object:
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version", 1) != 1:
        raise DocumentRefused(
            BAD_REQUEST, "extensions.persistedQuery må være {version: 1, sha256Hash: …}."
        )
    return persisted.get("sha256Hash")


class Resolved(NamedTuple):
    """The document a request runs, and the id to register it under once it has run without
    a request error (a document sent together with an id the service does not know yet)."""

    query: str | None
    register_as: str | None = None


class PersistedDocuments:
    """The documents this process knows by id, and the rule for free-form documents."""

    def __init__(
        self,
        operations: Iterable[Operation] = (),
        *,
        required: bool = False,
        max_registered: int = MAX_REGISTERED,
        max_registered_bytes: int = MAX_REGISTERED_BYTES,
    ) -> None:
        self.required = required
        self._manifest = {operation.id: operation.body for operation in operations}
        self._registered: Bounded[str, str] = Bounded(max_registered, max_registered_bytes)

    @property
    def max_registered_bytes(self) -> int:
        return self._registered.max_bytes

    @max_registered_bytes.setter
    def max_registered_bytes(self, value: int) -> None:
        self._registered.max_bytes = value

    @property
    def registered_bytes(self) -> int:
        return self._registered.bytes

    def __contains__(self, bare_id: str) -> bool:
        return bare_id in self._manifest or bare_id in self._registered

    def of_fields(self, fields: Mapping[str, Any], *, free_form: bool = False) -> Resolved | None:
        """The document a request's fields (edge/request_fields.py) name; None where `resolve`
        refuses it (the full path then reports why). For the short ways of planned reads."""
        try:
            return self.resolve(
                fields.get("query"),
                document_id=fields.get("documentId"),
                extensions=fields.get("extensions"),
                free_form=free_form,
            )
        except DocumentRefused:
            return None

    def resolve(
        self,
        query: str | None,
        *,
        document_id: object = None,
        extensions: dict[str, Any] | None = None,
        free_form: bool = False,
    ) -> Resolved:
        """The document to run. `free_form` lets a document without an id through even when
        trusted documents are required (GraphiQL in development). Raises DocumentRefused."""
        named = named_id(document_id, extensions)
        if named is None:
            if query is not None and self.required and not free_form:
                raise DocumentRefused(ID_REQUIRED)
            return Resolved(query)
        bare = _bare_id(named)
        known = self._known(bare)
        if query is None:
            if known is None:
                raise DocumentRefused(NOT_FOUND, NOT_IN_MANIFEST if self.required else None)
            return Resolved(known)
        if not isinstance(query, str) or id_of(query) != bare:
            raise DocumentRefused(HASH_MISMATCH)
        if known is None:
            if self.required and not free_form:
                raise DocumentRefused(NOT_FOUND, NOT_IN_MANIFEST)
            return Resolved(query, None if self.required else bare)
        return Resolved(query)

    def register(self, bare: str, body: str) -> None:
        """Keeps a document that has run without a request error under its id."""
        if self.required or bare in self._manifest:
            return
        size = len(body.encode("utf-8", "surrogatepass")) + DOCUMENT_OVERHEAD
        self._registered.put(bare, body, size)

    def _known(self, bare: str) -> str | None:
        body = self._manifest.get(bare)
        if body is not None:
            return body
        body = self._registered.get(bare)
        if body is not None:
            self._registered.touch(bare)
        return body
