"""key compromise

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 23:00:00.000000

A signing key can be marked compromised (status 'compromised', which fits the existing
16-character status column); this records when.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
import codeid.types


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('signing_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('compromised_at', codeid.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # A compromised key must not come back as trusted: demote it to retired first.
    op.execute("UPDATE signing_key SET status = 'retired' WHERE status = 'compromised'")
    with op.batch_alter_table('signing_key', schema=None) as batch_op:
        batch_op.drop_column('compromised_at')
