"""conversation.pending_text: what a person typed before saying yes to storing it

Revision ID: 0023w
Revises: 0030t
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023w"
down_revision: str | None = "0030t"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversation") as batch:
        batch.add_column(sa.Column("pending_text", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversation") as batch:
        batch.drop_column("pending_text")
