"""Who may do what: every admin operation needs a valid token of a practitioner affiliated
with the practice (UNAUTHENTICATED / FORBIDDEN otherwise, and nothing changes); patient
queries and `forms` are public."""

import base64
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from auth.tokens import ASSURANCE_CLAIM, DEV_ISSUER, HPR_CLAIM
from tests.conftest import (
    ASTRID,
    FJORDBYEN,
    JACOB,
    KRISTIAN,
    STORGATA,
    STRANGER,
    error_codes,
    text_input,
)

UNKNOWN_HER_ID = 9999991

PRACTICE = """
query Practice($herId: Int!) {
  practice(herId: $herId) { herId version }
}
"""

SAVE_TEXTS = """
mutation SaveTexts($input: SaveTextsInput!) {
  saveTexts(input: $input) { practice { version } userErrors { code } }
}
"""

CHOOSE_FORM = """
mutation ChooseForm($input: ChooseFormInput!) {
  chooseForm(input: $input) { practice { version } userErrors { code } }
}
"""

ADD_ABSENCE = """
mutation AddAbsence($input: AddAbsenceInput!) {
  addAbsence(input: $input) { absence { id } practice { version } userErrors { code } }
}
"""

DELETE_ABSENCE = """
mutation DeleteAbsence($input: DeleteAbsenceInput!) {
  deleteAbsence(input: $input) { deletedId practice { version } userErrors { code } }
}
"""

ADD_SCHEDULED_TEXT = """
mutation AddScheduledText($input: AddScheduledTextInput!) {
  addScheduledText(input: $input) {
    scheduledText { id } practice { version } userErrors { code }
  }
}
"""

DELETE_SCHEDULED_TEXT = """
mutation DeleteScheduledText($input: DeleteScheduledTextInput!) {
  deleteScheduledText(input: $input) { deletedId practice { version } userErrors { code } }
}
"""

REVERT_CHANGE = """
mutation RevertChange($input: RevertChangeInput!) {
  revertChange(input: $input) { auditEntry { id } practice { version } userErrors { code } }
}
"""

STATE = """
query State($herId: Int!) {
  practice(herId: $herId) {
    version
    texts { slot text updatedAt updatedByHpr }
    tools { entryPoint isDefault activeForm { id } }
    absences(includePast: true) { id practitioner { hprNumber } from to services }
    scheduledTexts(includePast: true) { id slot language text from to }
    auditLog { edges { node { id action } } }
  }
}
"""

PATIENT = """
query Patient($herId: Int!) {
  patientService(herId: $herId, service: RESEPTFORNYELSE) {
    service offered available practiceText form { id }
  }
  patientPanel(herId: $herId) { practice { herId name } panelText services { service } }
  forms { id }
}
"""


@dataclass(frozen=True)
class Operation:
    """An admin operation and how to call it on a practice."""

    name: str
    document: str
    mutation: bool

    def variables(self, her_id: int, target_id: str | None) -> dict[str, Any]:
        inputs: dict[str, dict[str, Any]] = {
            "saveTexts": {"texts": [{"slot": "RESEPTFORNYELSE", "text": "Husk styrke."}]},
            "chooseForm": {"entryPoint": "RESEPTFORNYELSE", "formId": None},
            "addAbsence": {
                "practitionerHpr": ASTRID,
                "from": "2024-06-12",
                "to": "2024-06-14",
                "services": ["TIMEBESTILLING"],
            },
            "deleteAbsence": {"id": target_id or "1"},
            "addScheduledText": {
                "slot": "TIMEBESTILLING",
                "text": "Vi har ferie.",
                "from": "2024-07-08",
                "to": "2024-07-26",
            },
            "deleteScheduledText": {"id": target_id or "1"},
            "revertChange": {"auditEntryId": target_id or "1"},
        }
        if not self.mutation:
            return {"herId": her_id}
        return {"input": {"herId": her_id, **inputs[self.name]}}


OPERATIONS = [
    Operation("practice", PRACTICE, mutation=False),
    Operation("saveTexts", SAVE_TEXTS, mutation=True),
    Operation("chooseForm", CHOOSE_FORM, mutation=True),
    Operation("addAbsence", ADD_ABSENCE, mutation=True),
    Operation("deleteAbsence", DELETE_ABSENCE, mutation=True),
    Operation("addScheduledText", ADD_SCHEDULED_TEXT, mutation=True),
    Operation("deleteScheduledText", DELETE_SCHEDULED_TEXT, mutation=True),
    Operation("revertChange", REVERT_CHANGE, mutation=True),
]
MUTATIONS = [op for op in OPERATIONS if op.mutation]
by_name = pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
mutations_by_name = pytest.mark.parametrize("op", MUTATIONS, ids=lambda op: op.name)


async def existing_absence(api) -> str:
    """An absence of Astrid at Storgata, registered by her, for deleteAbsence to aim at."""
    data = await api.data(
        ADD_ABSENCE,
        {
            "input": {
                "herId": STORGATA,
                "practitionerHpr": ASTRID,
                "from": "2024-07-01",
                "to": "2024-07-05",
                "services": ["RESEPTFORNYELSE"],
            }
        },
        hpr=ASTRID,
    )
    assert data["addAbsence"]["userErrors"] == []
    return data["addAbsence"]["absence"]["id"]


async def existing_scheduled_text(api) -> str:
    """A scheduled text at Storgata, added by Astrid, for deleteScheduledText to aim at."""
    data = await api.data(
        ADD_SCHEDULED_TEXT,
        {
            "input": {
                "herId": STORGATA,
                "slot": "FASTLEGEPANEL",
                "text": "Stengt i romjulen.",
                "from": "2024-12-27",
                "to": "2024-12-31",
            }
        },
        hpr=ASTRID,
    )
    assert data["addScheduledText"]["userErrors"] == []
    return data["addScheduledText"]["scheduledText"]["id"]


async def target_absence(api, op: Operation) -> str | None:
    """What a delete aims at, made first (one change); None for the other operations."""
    if op.name == "deleteAbsence":
        return await existing_absence(api)
    if op.name == "deleteScheduledText":
        return await existing_scheduled_text(api)
    if op.name == "revertChange":
        await existing_absence(api)
        history = (await state_of(api))["auditLog"]["edges"]
        return history[0]["node"]["id"]
    return None


async def send(api, document: str, variables: dict, authorization: str | None) -> httpx.Response:
    """Posts with exactly this Authorization header (or none)."""
    headers = {} if authorization is None else {"Authorization": authorization}
    return await api.client.post(
        "/graphql", json={"query": document, "variables": variables}, headers=headers
    )


def dev_claims(hpr: int, *, issued: datetime, expires: datetime) -> dict[str, Any]:
    """Claims shaped like DevelopmentTokens.issue's."""
    return {
        "iss": DEV_ISSUER,
        "sub": str(hpr),
        HPR_CLAIM: str(hpr),
        ASSURANCE_CLAIM: "high",
        "iat": issued,
        "exp": expires,
    }


def expired_token(api, hpr: int = ASTRID) -> str:
    now = datetime.now(UTC)
    claims = dev_claims(hpr, issued=now - timedelta(days=8), expires=now - timedelta(hours=1))
    return jwt.encode(claims, api.tokens.secret, algorithm="HS256")


def foreign_token(hpr: int = ASTRID) -> str:
    now = datetime.now(UTC)
    claims = dev_claims(hpr, issued=now, expires=now + timedelta(days=1))
    return jwt.encode(claims, "a different secret, long enough for HS256 keys", algorithm="HS256")


def tampered_token(api) -> str:
    """Jacob's signed token with its claims rewritten to say Astrid."""
    header, payload, signature = api.token(JACOB).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims[HPR_CLAIM] = claims["sub"] = str(ASTRID)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def unsigned_token() -> str:
    now = datetime.now(UTC)
    claims = dev_claims(ASTRID, issued=now, expires=now + timedelta(days=1))
    return jwt.encode(claims, None, algorithm="none")


def token_without_exp(api) -> str:
    claims = dev_claims(ASTRID, issued=datetime.now(UTC), expires=datetime.now(UTC))
    del claims["exp"]
    return jwt.encode(claims, api.tokens.secret, algorithm="HS256")


BAD_AUTHORIZATION = {
    "bearer without token": lambda api: "Bearer",
    "basic scheme": lambda api: "Basic xyz",
    "basic scheme with a valid token": lambda api: f"Basic {api.token(ASTRID)}",
    "garbage token": lambda api: "Bearer not-a-jwt",
    "expired token": lambda api: f"Bearer {expired_token(api)}",
    "token signed with another secret": lambda api: f"Bearer {foreign_token()}",
    "tampered token": lambda api: f"Bearer {tampered_token(api)}",
    "unsigned token": lambda api: f"Bearer {unsigned_token()}",
    "token without exp": lambda api: f"Bearer {token_without_exp(api)}",
}

REFUSED = {
    "no header": lambda api: None,
    "expired token": lambda api: f"Bearer {expired_token(api)}",
    "tampered token": lambda api: f"Bearer {tampered_token(api)}",
    "not affiliated": lambda api: f"Bearer {api.token(JACOB)}",
    "not in registry": lambda api: f"Bearer {api.token(STRANGER)}",
}


def assert_refused(op: Operation, body: dict, code: str) -> None:
    """One top-level error with this code; the field null (for a mutation: `data` null)."""
    assert error_codes(body) == [code], body
    if op.mutation:
        assert body["data"] is None
    else:
        assert body["data"] == {"practice": None}


async def state_of(api, her_id: int = STORGATA) -> dict:
    return (await api.data(STATE, {"herId": her_id}, hpr=ASTRID))["practice"]


# --- the same calls, allowed -----------------------------------------------------------


@by_name
async def test_affiliated_practitioner_may_do_every_operation(api, op):
    # Given Astrid's own token (the calls the refusals below are made with are valid input)
    absence_id = await target_absence(api, op)
    # When she makes the call on Storgata
    response = await send(
        api, op.document, op.variables(STORGATA, absence_id), f"Bearer {api.token(ASTRID)}"
    )
    # Then it goes through without errors
    body = response.json()
    assert "errors" not in body, body["errors"]
    result = body["data"][op.name]
    if op.mutation:
        assert result["userErrors"] == []
        assert result["practice"]["version"] == (2 if absence_id else 1)
    else:
        assert result == {"herId": STORGATA, "version": 0}


# --- UNAUTHENTICATED --------------------------------------------------------------------


@by_name
async def test_without_authorization_header_is_unauthenticated(api, op):
    # Given no Authorization header at all
    absence_id = await target_absence(api, op)
    # When the admin operation is called on Astrid's own practice
    response = await send(api, op.document, op.variables(STORGATA, absence_id), None)
    # Then it is refused as unauthenticated
    assert response.status_code == 200
    assert_refused(op, response.json(), "UNAUTHENTICATED")


@by_name
@pytest.mark.parametrize("header", list(BAD_AUTHORIZATION))
async def test_invalid_authorization_is_unauthenticated(api, op, header):
    # Given a header that does not carry a valid development token (for Astrid, if anyone)
    absence_id = await target_absence(api, op)
    authorization = BAD_AUTHORIZATION[header](api)
    # When the admin operation is called on Storgata, where Astrid is affiliated
    response = await send(api, op.document, op.variables(STORGATA, absence_id), authorization)
    # Then it is refused as unauthenticated, not as forbidden and not let through
    assert response.status_code == 200
    assert_refused(op, response.json(), "UNAUTHENTICATED")


# --- FORBIDDEN --------------------------------------------------------------------------


@by_name
async def test_practitioner_not_affiliated_is_forbidden(api, op):
    # Given Jacob, affiliated with Fjordbyen only
    absence_id = await target_absence(api, op)
    # When he calls the admin operation on Storgata
    body = await api.post(op.document, op.variables(STORGATA, absence_id), hpr=JACOB)
    # Then it is forbidden
    assert_refused(op, body, "FORBIDDEN")


@by_name
async def test_valid_token_of_hpr_not_in_registry_is_forbidden(api, op):
    absence_id = await target_absence(api, op)
    body = await api.post(op.document, op.variables(STORGATA, absence_id), hpr=STRANGER)
    assert_refused(op, body, "FORBIDDEN")


@by_name
async def test_unknown_her_id_is_forbidden(api, op):
    # Given a herId no practice has
    absence_id = await target_absence(api, op)
    # When Kristian (affiliated with two practices) aims the operation at it
    body = await api.post(op.document, op.variables(UNKNOWN_HER_ID, absence_id), hpr=KRISTIAN)
    # Then it is refused exactly like a foreign practice: FORBIDDEN, not null, not NOT_FOUND
    assert_refused(op, body, "FORBIDDEN")


async def test_unknown_her_id_answers_like_a_foreign_practice(api):
    # Given one herId that exists (but is not Astrid's) and one that does not
    foreign = await api.post(PRACTICE, {"herId": FJORDBYEN}, hpr=ASTRID)
    unknown = await api.post(PRACTICE, {"herId": UNKNOWN_HER_ID}, hpr=ASTRID)
    # Then the two answers cannot be told apart
    assert foreign["data"] == unknown["data"] == {"practice": None}
    assert [(e["message"], e["extensions"]) for e in foreign["errors"]] == [
        (e["message"], e["extensions"]) for e in unknown["errors"]
    ]


# --- nothing changes --------------------------------------------------------------------


@mutations_by_name
@pytest.mark.parametrize("refusal", list(REFUSED))
async def test_refused_mutation_changes_nothing(api, op, refusal):
    # Given Storgata as Astrid sees it (with one absence of hers when deleting)
    absence_id = await target_absence(api, op)
    before = await state_of(api)
    # When a refused request tries the mutation
    response = await send(
        api, op.document, op.variables(STORGATA, absence_id), REFUSED[refusal](api)
    )
    body = response.json()
    assert body["data"] is None
    assert error_codes(body) in (["UNAUTHENTICATED"], ["FORBIDDEN"])
    # Then nothing changed: same version, texts, tools, absences and audit log
    after = await state_of(api)
    assert after == before
    if absence_id is None:
        assert after["version"] == 0
        assert after["auditLog"]["edges"] == []
        assert after["absences"] == []
        assert after["scheduledTexts"] == []
        assert all(t["text"] is None for t in after["texts"])
        assert all(t["isDefault"] for t in after["tools"])
    elif op.name == "revertChange":
        assert [edge["node"]["id"] for edge in after["auditLog"]["edges"]] == [absence_id]
    else:
        targets = after["absences"] + after["scheduledTexts"]
        assert [target["id"] for target in targets] == [absence_id]


# --- how a refusal looks ----------------------------------------------------------------

NORWEGIAN_WORDS = {"du", "ikke", "må", "har", "til", "med", "et", "en", "være", "tilgang"}


@by_name
@pytest.mark.parametrize("refusal", ["no header", "not affiliated"])
async def test_refusal_is_a_norwegian_message_without_internals(api, op, refusal):
    absence_id = await target_absence(api, op)
    response = await send(
        api, op.document, op.variables(STORGATA, absence_id), REFUSED[refusal](api)
    )
    # Then the HTTP status is still 200 (GraphQL reports the error in the body)
    assert response.status_code == 200
    text = response.text
    for leak in ("Traceback", 'File "', "Exception", "resolvers/", ".py", api.tokens.secret):
        assert leak not in text
    [error] = response.json()["errors"]
    # And the message is non-empty Norwegian bokmål for a GP
    message = error["message"]
    assert message.strip()
    words = set(re.findall(r"\w+", message.lower()))
    assert words & NORWEGIAN_WORDS, message
    assert not words & {"not", "unauthorized", "unauthenticated", "forbidden", "permission"}
    assert set(error.get("extensions", {})) == {"code"}


# --- public fields ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization", [None, "Bearer not-a-jwt", "Basic xyz", "Bearer"], ids=repr
)
async def test_patient_queries_and_forms_need_no_token(api, authorization):
    # Given no token, or one that is no good
    # When the patient page asks about Storgata and the catalogue
    response = await send(api, PATIENT, {"herId": STORGATA}, authorization)
    # Then it is answered in full, without errors
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body["errors"]
    data = body["data"]
    assert data["patientService"]["service"] == "RESEPTFORNYELSE"
    assert data["patientService"]["offered"] is True
    assert data["patientService"]["form"] == {"id": "forny-resept-standard"}
    assert data["patientPanel"]["practice"] == {"herId": STORGATA, "name": "Storgata legesenter"}
    assert [s["service"] for s in data["patientPanel"]["services"]] == [
        "TIMEBESTILLING",
        "E_KONSULTASJON",
        "RESEPTFORNYELSE",
        "KONTAKT_LEGEKONTORET",
    ]
    assert "forny-resept-standard" in {f["id"] for f in data["forms"]}


async def test_patient_sees_a_change_by_an_affiliated_gp_without_a_token(api):
    # Given Astrid's addition to Reseptfornyelse
    saved = await api.data(
        SAVE_TEXTS,
        text_input(STORGATA, "RESEPTFORNYELSE", "Husk styrke."),
        hpr=ASTRID,
    )
    assert saved["saveTexts"]["userErrors"] == []
    # When a patient asks, with a garbage token
    body = (await send(api, PATIENT, {"herId": STORGATA}, "Bearer not-a-jwt")).json()
    # Then the addition is there
    assert "errors" not in body
    assert body["data"]["patientService"]["practiceText"] == "Husk styrke."
