"""no precomputed facts: the customer summaries, their packed copy and their triggers go

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 01:00:00

Facts are worked out from the customers, orders, feedback and gestures themselves every time
(``planner.core.facts``), so ``customer_summaries``, ``stale_summaries`` and ``summary_arrays``
and the triggers that kept them current are dropped. Downgrading makes them again, empty, with
every customer marked stale: the delight of revision 0008 works them out on its next command.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from db.migrations import summary_triggers

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    summary_triggers.drop()
    if sqlite:
        op.execute(summary_triggers.DROP_ARRAYS_TRIGGER)
    else:
        op.execute("DROP FUNCTION mark_customer_stale()")
        op.execute("DROP FUNCTION mark_owner_stale()")
    op.drop_table("summary_arrays")
    op.drop_table("stale_summaries")
    op.drop_index("ix_customer_summaries_latest_epoch", table_name="customer_summaries")
    op.drop_table("customer_summaries")


def downgrade() -> None:
    op.create_table(
        "customer_summaries",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("do_not_contact", sa.Boolean(), nullable=False),
        sa.Column("erased", sa.Boolean(), nullable=False),
        sa.Column("has_address", sa.Boolean(), nullable=False),
        sa.Column("birthday", sa.Date(), nullable=True),
        sa.Column("purchases", sa.Integer(), nullable=False),
        sa.Column("spent_minor", sa.BigInteger(), nullable=False),
        sa.Column("first_purchase_epoch", sa.BigInteger(), nullable=True),
        sa.Column("last_purchase_epoch", sa.BigInteger(), nullable=True),
        sa.Column("refunds", sa.Integer(), nullable=False),
        sa.Column("last_rating", sa.Integer(), nullable=True),
        sa.Column("last_complaint_epoch", sa.BigInteger(), nullable=True),
        sa.Column("open_complaints", sa.Integer(), nullable=False),
        sa.Column("greeting", sa.Text(), nullable=True),
        sa.Column("latest_epoch", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_index("ix_customer_summaries_latest_epoch", "customer_summaries", ["latest_epoch"])
    op.create_table(
        "stale_summaries",
        sa.Column("customer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_table(
        "summary_arrays",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    summary_triggers.create()
    if op.get_bind().dialect.name == "sqlite":
        op.execute(summary_triggers.ARRAYS_TRIGGER)
    op.execute("INSERT INTO stale_summaries (customer_id) SELECT id FROM customers")
