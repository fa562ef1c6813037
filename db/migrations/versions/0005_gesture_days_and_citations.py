"""gestures know their day, their send-by date, the feedback they answer and their opener

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:00:00

``gestures.for_day`` is the day a gesture is for (a birthday, an anniversary; none for the rest),
``send_by`` the day to send it by so it arrives in time, ``feedback_id`` the complaint or review a
recovery answers (so the brief quotes what the reason cites), and ``opener`` the first sentence of
the suggested words as the template wrote it (before a name is filled in), which the planner keeps
varied. Gestures planned before this version have none of them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite adds a foreign key only by copying the table (no triggers live on gestures).
    with op.batch_alter_table("gestures") as batch:
        batch.add_column(sa.Column("opener", sa.Text(), nullable=True))
        batch.add_column(sa.Column("for_day", sa.Date(), nullable=True))
        batch.add_column(sa.Column("send_by", sa.Date(), nullable=True))
        batch.add_column(sa.Column("feedback_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_gestures_feedback_id_feedback", "feedback", ["feedback_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("gestures") as batch:
        batch.drop_constraint("fk_gestures_feedback_id_feedback", type_="foreignkey")
        batch.drop_column("feedback_id")
        batch.drop_column("send_by")
        batch.drop_column("for_day")
        batch.drop_column("opener")
