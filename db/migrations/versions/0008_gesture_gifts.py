"""gestures know which gift they carry

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00

``gestures.gift`` is the name of the gift the planner chose from its kind's shelf (``choices`` in
the rules file), so the packing list says what to pack, nobody is given the same gift twice, and a
gift's stock goes down as gestures carrying it are logged sent. Gestures planned before this
version, and gestures of kinds without a shelf, have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("gestures", sa.Column("gift", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gestures") as batch:
        batch.drop_column("gift")
