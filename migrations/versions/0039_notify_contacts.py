"""notify contacts (sealed chat ids of people who asked to hear what was done) and their deliveries

Revision ID: 0039notify
Revises: 0035areas
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039notify"
down_revision: str | None = "0035areas"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notify_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("respondent_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("sealed_address", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["respondent_id"], ["respondent.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("respondent_id", "campaign_id"),
    )
    with op.batch_alter_table("notify_contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notify_contact_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notify_contact_respondent_id"), ["respondent_id"], unique=False)

    op.create_table(
        "notify_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["notify_contact.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contact_id", "change"),
    )
    with op.batch_alter_table("notify_delivery", schema=None) as batch_op:
        batch_op.create_index("ix_notify_delivery_status", ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notify_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_notify_delivery_status")
    op.drop_table("notify_delivery")
    with op.batch_alter_table("notify_contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notify_contact_respondent_id"))
        batch_op.drop_index(batch_op.f("ix_notify_contact_campaign_id"))
    op.drop_table("notify_contact")
