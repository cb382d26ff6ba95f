"""sign-in sessions, logins under way and DPoP proofs seen

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_attempt",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("browser_hash", sa.String(length=64), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("next_path", sa.String(length=2000), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_login_attempt")),
    )
    op.create_table(
        "login_session",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("hpr_number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("id_token", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_login_session")),
    )
    op.create_table(
        "dpop_proof",
        sa.Column("jti_hash", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti_hash", name=op.f("pk_dpop_proof")),
    )
    op.create_index(op.f("ix_dpop_proof_seen_at"), "dpop_proof", ["seen_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_dpop_proof_seen_at"), table_name="dpop_proof")
    op.drop_table("dpop_proof")
    op.drop_table("login_session")
    op.drop_table("login_attempt")
