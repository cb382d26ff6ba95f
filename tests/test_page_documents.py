"""The manifest of the pages' documents follows the pages: it is read from web/static's modules
(no list to keep up to date), `tilpass export-documents` prints it, and Node, loading the same
modules as a browser does, finds no document that is not in it under the same id."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from edge.documents import MANIFEST_FORMAT, id_of
from web.documents import STATIC, page_documents, page_manifest, page_operations

AUDIT = Path(__file__).resolve().parent / "audit"

FRAGMENTS = """// Documents as the pages write them.
import { SHARED as FIELDS } from "./shared.js";

const USER_ERRORS = "userErrors { field code message }";
/* const NOT_THIS = `query NotThis { me { name } }`; */
// const NOR_THIS = `query NorThis { me { name } }`;
const label = "a \\"const X = `query X { y }`\\" in a string";

export const SAVE = `
mutation Save($input: SaveTextsInput!) {
  saveTexts(input: $input) { practice { ...Fields } ${USER_ERRORS} }
}
${FIELDS}`;

export const COMPUTED = `query Computed { ${1 + 1} }`;
"""

SHARED = """export const SHARED = `
fragment Fields on Practice { herId name }`;
"""


def test_the_reader_splices_constants_as_the_browser_does(tmp_path):
    # Given two modules, one importing a fragment from the other, with decoys in comments
    (tmp_path / "queries.js").write_text(FRAGMENTS, encoding="utf-8")
    (tmp_path / "shared.js").write_text(SHARED, encoding="utf-8")
    # When the documents are read
    operations = page_operations.__wrapped__(tmp_path)
    # Then the one operation it can evaluate is there, spliced exactly
    assert [operation.name for operation in operations] == ["Save"]
    body = operations[0].body
    assert body == (
        "\nmutation Save($input: SaveTextsInput!) {\n"
        "  saveTexts(input: $input) { practice { ...Fields } userErrors { field code message } }\n"
        "}\n\nfragment Fields on Practice { herId name }"
    )
    assert operations[0].id == id_of(body)
    assert operations[0].type == "mutation"
    assert "NotThis" not in "".join(page_documents(tmp_path))


def test_export_documents_prints_the_manifest_of_the_pages():
    printed = subprocess.run(
        [sys.executable, "-m", "cli", "export-documents"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    exported = json.loads(printed.stdout)
    assert exported == page_manifest()
    assert exported["format"] == MANIFEST_FORMAT
    assert exported["version"] == 1
    operations = exported["operations"]
    assert operations, "the pages send no documents?"
    for operation in operations:
        assert set(operation) == {"id", "name", "type", "body"}
        assert operation["id"] == id_of(operation["body"])
        assert operation["type"] in ("query", "mutation")
        assert operation["name"]
    assert len({o["name"] for o in operations}) == len(operations)


def test_every_document_the_pages_hold_is_in_the_manifest_under_the_browsers_id(tmp_path):
    if shutil.which("node") is None:
        pytest.skip("needs Node to load the pages' modules")
    # Given the pages' modules, loaded by Node as ES modules
    for module in STATIC.glob("*.js"):
        shutil.copy(module, tmp_path / module.name)
    (tmp_path / "package.json").write_text('{"type": "module"}', encoding="utf-8")
    loaded = subprocess.run(
        ["node", str(AUDIT / "page-documents.mjs"), *sorted(map(str, tmp_path.glob("*.js")))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert loaded.returncode == 0, loaded.stderr
    exported = json.loads(loaded.stdout)
    # Then every exported string that is a GraphQL operation is in the manifest, by the id
    # the page computes from the very same text
    ids = {operation.id for operation in page_operations()}
    documents = [e for e in exported if e["value"].lstrip().startswith(("query", "mutation"))]
    assert documents
    missing = [e["name"] for e in documents if id_of(e["value"]) not in ids]
    assert missing == []
