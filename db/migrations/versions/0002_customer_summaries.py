"""customer summaries, kept current by triggers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 17:40:00

Adds ``customer_summaries`` (what planning reads about every customer) and ``stale_summaries``
(customers to work out again), with triggers that mark a customer stale whenever their
customer row, orders or feedback change. Every existing customer starts stale; ``delight init``
works them out right after upgrading (``db.schema.upgrade``).

A later migration that rebuilds ``customers``, ``orders`` or ``feedback`` (SQLite's batch mode
copies a table) must create these triggers again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The customer columns a summary is made from: changing any of them makes it stale.
SUMMARISED = "language, do_not_contact, erased_at, birthday, address1, postal_code, city"
OWNED = ("orders", "feedback")  # tables whose rows belong to a customer through customer_id


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
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()
    op.execute("INSERT INTO stale_summaries (customer_id) SELECT id FROM customers")


def _sqlite_triggers() -> None:
    mark = "INSERT OR IGNORE INTO stale_summaries (customer_id) VALUES ({});"
    op.execute(f"CREATE TRIGGER customers_stale_insert AFTER INSERT ON customers BEGIN {mark.format('NEW.id')} END")
    op.execute(
        f"CREATE TRIGGER customers_stale_update AFTER UPDATE OF {SUMMARISED} ON customers "
        f"BEGIN {mark.format('NEW.id')} END"
    )
    for table in OWNED:
        new, old = mark.format("NEW.customer_id"), mark.format("OLD.customer_id")
        op.execute(f"CREATE TRIGGER {table}_stale_insert AFTER INSERT ON {table} BEGIN {new} END")
        op.execute(f"CREATE TRIGGER {table}_stale_update AFTER UPDATE ON {table} BEGIN {old} {new} END")
        op.execute(f"CREATE TRIGGER {table}_stale_delete AFTER DELETE ON {table} BEGIN {old} END")


def _postgresql_triggers() -> None:
    mark = "INSERT INTO stale_summaries (customer_id) VALUES ({}) ON CONFLICT DO NOTHING;"
    op.execute(
        f"""
        CREATE FUNCTION mark_customer_stale() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {mark.format("NEW.id")} RETURN NULL; END $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION mark_owner_stale() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN {mark.format("OLD.customer_id")} END IF;
            IF TG_OP <> 'DELETE' THEN {mark.format("NEW.customer_id")} END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER customers_stale AFTER INSERT OR UPDATE OF "
        f"{SUMMARISED} ON customers FOR EACH ROW EXECUTE FUNCTION mark_customer_stale()"
    )
    for table in OWNED:
        op.execute(
            f"CREATE TRIGGER {table}_stale AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION mark_owner_stale()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("customers", *OWNED):
            op.execute(f"DROP TRIGGER {table}_stale ON {table}")
        op.execute("DROP FUNCTION mark_owner_stale()")
        op.execute("DROP FUNCTION mark_customer_stale()")
    else:
        op.execute("DROP TRIGGER customers_stale_insert")
        op.execute("DROP TRIGGER customers_stale_update")
        for table in OWNED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_stale_{event}")
    op.drop_table("stale_summaries")
    op.drop_table("customer_summaries")
