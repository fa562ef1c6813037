"""customer summaries, kept current by triggers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 17:40:00

Adds ``customer_summaries`` (what planning reads about every customer) and ``stale_summaries``
(customers to work out again), with triggers that mark a customer stale whenever their
customer row, orders or feedback change. Every existing customer starts stale; ``delight init``
works them out right after upgrading (``db.schema.upgrade``).

The triggers are defined in ``db.summaries`` (seeding drops and recreates them too). A later
migration that rebuilds ``customers``, ``orders`` or ``feedback`` (SQLite's batch mode copies a
table) must create them again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from db.migrations import summary_triggers

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_summaries",
        sa.Column("customer_id", sa.Integer(), autoincrement=False, nullable=False),
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
        sa.Column("latest_epoch", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_table(
        "stale_summaries",
        sa.Column("customer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    summary_triggers.create()
    op.execute("INSERT INTO stale_summaries (customer_id) SELECT id FROM customers")


def downgrade() -> None:
    summary_triggers.drop()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION mark_owner_stale()")
        op.execute("DROP FUNCTION mark_customer_stale()")
    op.drop_table("stale_summaries")
    op.drop_table("customer_summaries")
