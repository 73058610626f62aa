"""scrub Telegram chat ids from answer.message_key: keep only the message id ("<chat id>:<message id>" -> "m<id>")

Revision ID: 0021 (fourth in the chain; the id stays, databases record it in alembic_version)
Revises: 0003

In a private chat the chat id is the person's Telegram user id; answers stored before this revision carried it in
plain text. The message id alone still lets a later edit find its answer (it is unique within the one chat a
respondent has with the bot). On SQLite, secure_delete makes the rewritten rows overwrite the old bytes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("PRAGMA secure_delete=ON")
        op.execute(
            "UPDATE answer SET message_key = 'm' || substr(message_key, instr(message_key, ':') + 1) "
            "WHERE message_key LIKE '%:%'"
        )
    else:
        op.execute(
            "UPDATE answer SET message_key = 'm' || split_part(message_key, ':', 2) WHERE message_key LIKE '%:%'"
        )


def downgrade() -> None:
    """Nothing to restore: the chat ids are gone on purpose, and edits keep working with the message id alone."""
