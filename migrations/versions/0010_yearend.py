"""compliance as at year end: when a plan's status last changed, and the signed-off report's data

Revision ID: 0010_yearend
Revises: 0009_security_event_lookup
Create Date: 2026-11-30

"""

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0010_yearend"
down_revision = "0009_security_event_lookup"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_since", UTCDateTime(timezone=True), nullable=True))
    # An active plan has been active since it was made; for the others the last change of the
    # row is the best date there is.
    op.execute("UPDATE plans SET status_since = created_at WHERE status = 'active'")
    op.execute("UPDATE plans SET status_since = updated_at WHERE status <> 'active'")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.alter_column("status_since", existing_type=UTCDateTime(timezone=True), nullable=False)
    with op.batch_alter_table("compliance_assessments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_snapshot", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("report_sha256", sa.String(length=64), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("compliance_assessments", schema=None) as batch_op:
        batch_op.drop_column("report_sha256")
        batch_op.drop_column("report_snapshot")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_column("status_since")
