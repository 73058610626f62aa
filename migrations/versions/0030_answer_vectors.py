"""answer_vector: each answer's sentence embedding, computed once at ingest and reused by every theme analysis

Revision ID: 0030t
Revises: 0017r

Re-analysing a campaign must not re-embed its answers (100 000 answers would take an hour on two cores); the
vector is derived from the text, so it is deleted with its answer (ON DELETE CASCADE).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030t"
down_revision: str | None = "0017r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "answer_vector",
        sa.Column("answer_id", sa.Integer(), sa.ForeignKey("answer.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("answer_vector")
