"""answer.search_text (case- and accent-folded text, the same on SQLite and PostgreSQL) and unit.min_group

Revision ID: 0011w (fifth in the chain; the id stays, databases record it in alembic_version)
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from surveys.text import search_key

revision: str = "0011w"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000


def upgrade() -> None:
    with op.batch_alter_table("answer") as batch:
        batch.add_column(sa.Column("search_text", sa.Text(), nullable=True))
    with op.batch_alter_table("unit") as batch:
        batch.add_column(sa.Column("min_group", sa.Integer(), nullable=False, server_default="5"))
    connection = op.get_bind()
    answer = sa.table(
        "answer", sa.column("id", sa.Integer), sa.column("text", sa.Text), sa.column("search_text", sa.Text)
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(answer.c.id, answer.c.text).where(answer.c.id > last).order_by(answer.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            answer.update().where(answer.c.id == sa.bindparam("row_id")).values(search_text=sa.bindparam("folded")),
            [{"row_id": row_id, "folded": search_key(text)} for row_id, text in rows],
        )
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("unit") as batch:
        batch.drop_column("min_group")
    with op.batch_alter_table("answer") as batch:
        batch.drop_column("search_text")
