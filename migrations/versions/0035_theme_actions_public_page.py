"""theme actions ("tiltak"), the public page "Dette sa dere – dette gjør vi" and its picked quotes

Revision ID: 0035a
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035a"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "public_page",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id"),
        sa.UniqueConstraint("token"),
    )
    op.create_table(
        "public_quote",
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("picked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["answer_id"], ["answer.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("answer_id"),
    )
    with op.batch_alter_table("public_quote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_public_quote_campaign_id"), ["campaign_id"], unique=False)

    op.create_table(
        "theme_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=True),
        sa.Column("theme_key", sa.Text(), nullable=False),
        sa.Column("theme_label", sa.Text(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("responsible", sa.Text(), server_default="", nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["theme_id"], ["theme.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("theme_action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_theme_action_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_theme_action_theme_id"), ["theme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_theme_action_theme_key"), ["theme_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("theme_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_theme_action_theme_key"))
        batch_op.drop_index(batch_op.f("ix_theme_action_theme_id"))
        batch_op.drop_index(batch_op.f("ix_theme_action_campaign_id"))

    op.drop_table("theme_action")
    with op.batch_alter_table("public_quote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_public_quote_campaign_id"))

    op.drop_table("public_quote")
    op.drop_table("public_page")
