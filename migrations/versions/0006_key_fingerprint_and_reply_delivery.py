"""key_fingerprint (which VIKTIG_SECRET_KEY this database belongs to) and processed_update.replied_at

Revision ID: 0017r (sixth in the chain; the id stays, databases record it in alembic_version)
Revises: 0011w
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017r"
down_revision: str | None = "0011w"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "key_fingerprint",
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("purpose"),
    )
    with op.batch_alter_table("processed_update") as batch:
        batch.add_column(sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True))
    # Updates processed before this revision were answered as far as anyone knows: never resend those.
    op.execute("UPDATE processed_update SET replied_at = processed_at")


def downgrade() -> None:
    with op.batch_alter_table("processed_update") as batch:
        batch.drop_column("replied_at")
    op.drop_table("key_fingerprint")
