"""A server process killed with SIGKILL under a write load loses no acknowledged write."""

import asyncio
import json
import os

import httpx

from tests.conftest import ASTRID, STORGATA, text_input
from tests.servers import Server

SAVE_TEXTS = """
mutation Save($input: SaveTextsInput!) {
  saveTexts(input: $input) { userErrors { code } }
}
"""

LOG_PAGE = """
query Log($herId: Int!, $after: String) {
  practice(herId: $herId) {
    version
    texts { slot text }
    auditLog(first: 100, after: $after) {
      edges { node { after } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

CLIENTS = 16
LOAD_SECONDS = 1.5


async def write_until_killed(server: Server, token: str) -> list[str]:
    """Sixteen clients save distinct texts until the server dies; returns the acknowledged."""
    acknowledged: list[str] = []
    stop = asyncio.Event()

    async def client(number: int, http: httpx.AsyncClient) -> None:
        turn = 0
        while not stop.is_set():
            text = f"Klient {number} skriv {turn}"
            turn += 1
            try:
                response = await http.post(
                    "/graphql",
                    json={
                        "query": SAVE_TEXTS,
                        "variables": text_input(STORGATA, "FASTLEGEPANEL", text),
                    },
                    headers={"Authorization": f"Bearer {token}"},
                )
            except httpx.TransportError:
                return
            body = response.json()
            if response.status_code == 200 and body["data"]["saveTexts"]["userErrors"] == []:
                acknowledged.append(text)

    async def killer() -> None:
        await asyncio.sleep(LOAD_SECONDS)
        server.kill()
        stop.set()

    async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
        await asyncio.gather(killer(), *(client(n, http) for n in range(CLIENTS)))
    return acknowledged


async def read_back(server: Server, token: str) -> tuple[int, str | None, list[str]]:
    texts, after = [], None
    async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
        while True:
            response = await http.post(
                "/graphql",
                json={"query": LOG_PAGE, "variables": {"herId": STORGATA, "after": after}},
                headers={"Authorization": f"Bearer {token}"},
            )
            practice = response.json()["data"]["practice"]
            log = practice["auditLog"]
            texts += [json.loads(edge["node"]["after"])["FASTLEGEPANEL"] for edge in log["edges"]]
            if not log["pageInfo"]["hasNextPage"]:
                panel = next(t["text"] for t in practice["texts"] if t["slot"] == "FASTLEGEPANEL")
                return practice["version"], panel, texts
            after = log["pageInfo"]["endCursor"]


async def test_sigkill_under_write_load_loses_no_acknowledged_write(api, settings, tmp_path):
    # Given a server process on the test database and a GP's token
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILPASS_")}
    env["TILPASS_DATABASE_URL"] = settings.database_url
    token = api.token(ASTRID)
    server = Server(cwd=tmp_path, env=env).start()
    try:
        # When it is killed with SIGKILL while sixteen clients write
        acknowledged = await write_until_killed(server, token)
    finally:
        server.kill()
    assert len(acknowledged) > 20, "too little load to prove anything"
    # Then, after a restart, every acknowledged write is there, and nothing half-done
    restarted = Server(cwd=tmp_path, env=env).start()
    try:
        version, panel_text, logged = await read_back(restarted, token)
    finally:
        restarted.stop()
    missing = set(acknowledged) - set(logged)
    print(
        f"\n{settings.database_url.split(':')[0]}: {len(acknowledged)} acknowledged, "
        f"{len(logged)} in the audit log after restart, {len(missing)} missing"
    )
    assert not missing
    assert version == len(logged)
    assert panel_text == logged[0]
