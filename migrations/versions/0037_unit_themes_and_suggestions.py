"""unit_theme (themes managers accepted from suggestions, the unit's own taxonomy) and theme review columns

Revision ID: 0035u
Revises: 0035i

theme.review is NULL for a suggestion not yet reviewed, "accepted" or "rejected"; theme.reviewed_answers keeps the
answer ids of a rejected group so that a re-run does not suggest it again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035u"
down_revision: str | None = "0035i"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unit_theme",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("example_ids", sa.JSON(), nullable=False),
        sa.Column(
            "source_campaign_id",
            sa.Integer(),
            sa.ForeignKey("campaign.id", ondelete="SET NULL"),
            nullable=True,
            index=True,
        ),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("theme") as batch:
        batch.add_column(sa.Column("review", sa.String(), nullable=True))
        batch.add_column(sa.Column("unit_theme_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reviewed_answers", sa.JSON(), nullable=False, server_default="[]"))
        batch.create_index("ix_theme_unit_theme_id", ["unit_theme_id"])
        batch.create_foreign_key(
            "fk_theme_unit_theme_id", "unit_theme", ["unit_theme_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("theme") as batch:
        batch.drop_constraint("fk_theme_unit_theme_id", type_="foreignkey")
        batch.drop_index("ix_theme_unit_theme_id")
        batch.drop_column("reviewed_answers")
        batch.drop_column("unit_theme_id")
        batch.drop_column("review")
    op.drop_table("unit_theme")
