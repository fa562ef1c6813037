"""tone analyses: what the tone check's analyser saw in each template, remembered

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 21:00:00

``tone_analyses`` keeps, for each template text the tone check analysed, the sentences and the
features the analyser saw in them (JSON), under a SHA-256 key of the words, the language and the
analyser's version. A plan reads them instead of loading the Korean analyser (about a second and
260 MB) to vet templates that have not changed; a team on PostgreSQL shares them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tone_analyses",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("analysis", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("tone_analyses")
