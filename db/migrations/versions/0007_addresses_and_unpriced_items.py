"""addresses know where they came from and whom they are for; an item's price may be unknown

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:00:00

``customers.address_source``: ``order`` when the address is an order's delivery address (a later
order's replaces it), ``customers`` when a customers file gave it; empty when it was entered any
other way (by a person, or before this column existed) — an orders import never replaces those.
``customers.address_name``: the name the address is for, when an export gives one (SmartStore's
수취인명, Shopify's Shipping Name); labels use it. Adding columns touches no trigger.

``order_items.unit_price_minor`` may be empty: a file may list what was bought without a price
per item (its order has a total). On SQLite that column change copies ``order_items`` (batch
mode); no summary trigger is on that table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("address_name", sa.Text(), nullable=True))
    op.add_column("customers", sa.Column("address_source", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    with op.batch_alter_table("order_items") as batch:
        batch.alter_column("unit_price_minor", existing_type=sa.BigInteger(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE order_items SET unit_price_minor = 0 WHERE unit_price_minor IS NULL")
    with op.batch_alter_table("order_items") as batch:
        batch.alter_column("unit_price_minor", existing_type=sa.BigInteger(), nullable=False)
    # Plain DROP COLUMN (SQLite 3.35+), not batch mode: a copy of customers would lose its summary triggers.
    op.execute("ALTER TABLE customers DROP COLUMN address_source")
    op.execute("ALTER TABLE customers DROP COLUMN address_name")
