"""initial tables

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "practice",
        sa.Column("her_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("org_number", sa.String(length=9), nullable=False),
        sa.Column("offered", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("her_id", name=op.f("pk_practice")),
    )
    op.create_table(
        "practitioner",
        sa.Column("hpr_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("hpr_number", name=op.f("pk_practitioner")),
    )
    op.create_table(
        "signing_key",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_signing_key")),
    )
    op.create_table(
        "absence",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("her_id", sa.Integer(), nullable=False),
        sa.Column("hpr_number", sa.Integer(), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("to_date", sa.Date(), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_hpr", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["her_id"],
            ["practice.her_id"],
            name=op.f("fk_absence_her_id_practice"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hpr_number"],
            ["practitioner.hpr_number"],
            name=op.f("fk_absence_hpr_number_practitioner"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absence")),
    )
    with op.batch_alter_table("absence", schema=None) as batch_op:
        batch_op.create_index(
            "ix_absence_practice_practitioner", ["her_id", "hpr_number", "to_date"], unique=False
        )

    op.create_table(
        "affiliation",
        sa.Column("her_id", sa.Integer(), nullable=False),
        sa.Column("hpr_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["her_id"],
            ["practice.her_id"],
            name=op.f("fk_affiliation_her_id_practice"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hpr_number"],
            ["practitioner.hpr_number"],
            name=op.f("fk_affiliation_hpr_number_practitioner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("her_id", "hpr_number", name=op.f("pk_affiliation")),
    )
    with op.batch_alter_table("affiliation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_affiliation_hpr_number"), ["hpr_number"], unique=False)

    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("her_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_hpr", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["her_id"],
            ["practice.her_id"],
            name=op.f("fk_audit_entry_her_id_practice"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entry_practice_id", ["her_id", "id"], unique=False)

    op.create_table(
        "practice_text",
        sa.Column("her_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_hpr", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["her_id"],
            ["practice.her_id"],
            name=op.f("fk_practice_text_her_id_practice"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("her_id", "slot", name=op.f("pk_practice_text")),
    )
    op.create_table(
        "tool_choice",
        sa.Column("her_id", sa.Integer(), nullable=False),
        sa.Column("entry_point", sa.String(length=40), nullable=False),
        sa.Column("form_id", sa.String(length=100), nullable=True),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chosen_by_hpr", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["her_id"],
            ["practice.her_id"],
            name=op.f("fk_tool_choice_her_id_practice"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("her_id", "entry_point", name=op.f("pk_tool_choice")),
    )


def downgrade() -> None:

    op.drop_table("tool_choice")
    op.drop_table("practice_text")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_practice_id")

    op.drop_table("audit_entry")
    with op.batch_alter_table("affiliation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_affiliation_hpr_number"))

    op.drop_table("affiliation")
    with op.batch_alter_table("absence", schema=None) as batch_op:
        batch_op.drop_index("ix_absence_practice_practitioner")

    op.drop_table("absence")
    op.drop_table("signing_key")
    op.drop_table("practitioner")
    op.drop_table("practice")
