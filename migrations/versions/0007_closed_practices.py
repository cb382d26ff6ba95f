"""practices closed by the registry (Organization.active false)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every practice known so far is open: only a registry sync closes one.
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("closed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    # Version 2 has no closed practices: a closed one opens again, its settings intact.
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.drop_column("closed")
