"""scheduled texts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduled_text",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("her_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("to_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_hpr", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["her_id"],
            ["practice.her_id"],
            name=op.f("fk_scheduled_text_her_id_practice"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_text")),
    )
    with op.batch_alter_table("scheduled_text", schema=None) as batch_op:
        batch_op.create_index("ix_scheduled_text_practice", ["her_id", "to_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scheduled_text", schema=None) as batch_op:
        batch_op.drop_index("ix_scheduled_text_practice")
    op.drop_table("scheduled_text")
