"""Who may administer which practice, and the practice's own facts."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from models import practices
from models.practices import Practice, Practitioner
from resolvers.errors import Forbidden, Problem


async def require_affiliation(
    *, session: AsyncSession, her_id: int, actor_hpr: int, lock: bool = False
) -> Practice:
    """The practice, if `actor_hpr` is affiliated with it. An unknown practice is refused the
    same way as a foreign one so that nothing leaks about which HER-ids exist, and a closed one
    the same way too: the registry says no one works there now."""
    practice, affiliated = await practices.practice_with_affiliation(
        session=session, her_id=her_id, hpr_number=actor_hpr, lock=lock
    )
    if practice is None or practice.closed or not affiliated:
        raise Forbidden()
    return practice


def stale_version(practice: Practice, expected_version: int | None) -> Problem | None:
    if expected_version is None or expected_version == practice.version:
        return None
    return Problem(
        code="STALE_VERSION",
        message=(
            f"Noen andre har endret innstillingene for {practice.name} mens du arbeidet "
            f"(versjon {practice.version}, du hadde versjon {expected_version}). "
            "Last siden på nytt og gjør endringen igjen."
        ),
        field=("expectedVersion",),
    )


async def me(*, session: AsyncSession, actor_hpr: int) -> Practitioner | None:
    return await practices.get_practitioner(session=session, hpr_number=actor_hpr)


async def practices_of(*, session: AsyncSession, hpr_number: int) -> list[Practice]:
    return await practices.practices_of(session=session, hpr_number=hpr_number)


async def members_of(*, session: AsyncSession, her_id: int) -> list[Practitioner]:
    return await practices.members_of(session=session, her_id=her_id)
