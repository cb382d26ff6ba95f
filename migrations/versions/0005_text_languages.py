"""additions per language

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every addition written so far is bokmål.
    with op.batch_alter_table("practice_text", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=2), server_default="NB", nullable=False)
        )
        batch_op.drop_constraint("pk_practice_text", type_="primary")
        batch_op.create_primary_key("pk_practice_text", ["her_id", "slot", "language"])


def downgrade() -> None:
    # Bokmål is all version 1 can hold: the other languages' additions go.
    op.execute("DELETE FROM practice_text WHERE language <> 'NB'")
    with op.batch_alter_table("practice_text", schema=None) as batch_op:
        batch_op.drop_constraint("pk_practice_text", type_="primary")
        batch_op.create_primary_key("pk_practice_text", ["her_id", "slot"])
        batch_op.drop_column("language")
