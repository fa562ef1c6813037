"""summaries read faster: packed as bytes, who changed since a moment indexed, greetings kept

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 22:30:00

``summary_arrays.content`` holds each column packed by ``db.packing`` (a BLOB), which a plan
decodes several times faster than the JSON arrays it held before. The table is only a copy of
``customer_summaries``, so it is made again empty, and the refresh that ``db.schema.upgrade``
runs after migrating fills it. Downgrading does the same the other way.

``customer_summaries.latest_epoch`` gets an index: a plan asks which customers have orders or
feedback after its as-of moment (usually none), which read every summary without one.

``customer_summaries.greeting`` keeps what a reason calls the customer (first name, else name),
so the reasons of the thousands held out each week need no lookup of their names; changing a
name or first name now marks the customer stale (the triggers are made again), and every
customer starts stale so the refresh after migrating fills it in.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from db.migrations import summary_triggers

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _remake(content: sa.types.TypeEngine) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER customers_deleted_arrays")
    op.drop_table("summary_arrays")
    op.create_table(
        "summary_arrays",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("content", content, nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    if sqlite:
        op.execute(summary_triggers.ARRAYS_TRIGGER)


def upgrade() -> None:
    _remake(sa.LargeBinary())
    op.create_index(op.f("ix_customer_summaries_latest_epoch"), "customer_summaries", ["latest_epoch"])
    op.add_column("customer_summaries", sa.Column("greeting", sa.Text(), nullable=True))
    _remake_triggers()


def downgrade() -> None:
    with op.batch_alter_table("customer_summaries") as batch:
        batch.drop_column("greeting")
    op.drop_index(op.f("ix_customer_summaries_latest_epoch"), table_name="customer_summaries")
    _remake(sa.Text())
    _remake_triggers()


def _remake_triggers() -> None:
    """The triggers as ``db.summaries`` defines them now, and every customer stale."""
    summary_triggers.drop()
    summary_triggers.create()
    op.execute("DELETE FROM stale_summaries")
    op.execute("INSERT INTO stale_summaries (customer_id) SELECT id FROM customers")
