"""An operation leaves nothing for the garbage collector: what a request touched is freed
when it ends, so cold patient reads do not pause for collections (schema/execution.py and,
for documents that skip the executor, schema/plain_reads.py)."""

import gc
from datetime import timedelta

import pytest

from tests.conftest import ASTRID, STORGATA, TODAY

PATIENT_SERVICE = """
query PatientService($herId: Int!, $hpr: Int, $on: Date) {
  patientService(herId: $herId, service: RESEPTFORNYELSE, practitionerHpr: $hpr, on: $on) {
    title available practiceText form { id } entryPoints { entryPoint form { id } }
  }
}
"""

# A directive keeps a document on graphql-core's executor (schema/plain_reads.py).
THROUGH_EXECUTOR = PATIENT_SERVICE.replace("title available", "title @include(if: true) available")

REQUESTS = 20
# What an operation may leave per request beyond what the test's HTTP transport itself
# leaves (measured on /healthz); graphql-core's own cycle left over a hundred.
SLACK_PER_REQUEST = 10


async def unreachable_after(run) -> int:
    """Objects in reference cycles that REQUESTS runs of `run` left, as the collector counts."""
    await run()  # first use: caches and lazily built parts are made here, not counted
    gc.collect()
    gc.disable()
    try:
        for _ in range(REQUESTS):
            await run()
        return gc.collect()
    finally:
        gc.enable()


async def transport_leaves(api) -> int:
    async def health():
        assert (await api.client.get("/healthz")).status_code == 200

    return await unreachable_after(health)


@pytest.mark.parametrize("document", [PATIENT_SERVICE, THROUGH_EXECUTOR], ids=["plain", "executor"])
async def test_a_cold_patient_read_leaves_no_reference_cycles(api, document):
    # Given what the test's transport leaves on its own
    transport = await transport_leaves(api)
    days = iter(range(1000))

    async def cold_read():
        # Another day each time, as just after midnight: every read runs GraphQL.
        on = (TODAY + timedelta(days=next(days))).isoformat()
        data = await api.data(document, {"herId": STORGATA, "hpr": ASTRID, "on": on})
        assert data["patientService"]["title"]

    # When patients read, then their requests leave next to nothing beyond that
    assert await unreachable_after(cold_read) <= transport + REQUESTS * SLACK_PER_REQUEST
