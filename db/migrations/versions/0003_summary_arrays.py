"""summary arrays: the copy of every customer's summary a plan reads

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 20:30:00

Adds ``summary_arrays``: on SQLite, ``db.summaries.refresh`` keeps every customer's summary there
as one JSON array per column, so a plan reads a few strings instead of building them from every
summary row. A trigger empties it when a customer is deleted (their summary goes by a foreign key
cascade, which no refresh sees); the next refresh builds it again. ``delight init`` builds it right
after upgrading. PostgreSQL reads the summary rows themselves and leaves the table empty.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from db.migrations import summary_triggers

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "summary_arrays",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(summary_triggers.ARRAYS_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER customers_deleted_arrays")
    op.drop_table("summary_arrays")
