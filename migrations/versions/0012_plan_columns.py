"""plan rows keep a plan's extra columns, list markers and an archived time; imported progress
names its file

Revision ID: 0012_plan_columns
Revises: 0011_retention
Create Date: 2026-12-01

"""

import sqlalchemy as sa

import core.db
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_plan_columns"
down_revision = "0011_retention"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("plan_rows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extra", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("markers", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("archived_at", core.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("progress_updates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_file", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("source_sha256", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("markers", sa.JSON(), nullable=False, server_default="[]"))


def downgrade():
    with op.batch_alter_table("progress_updates", schema=None) as batch_op:
        batch_op.drop_column("markers")
        batch_op.drop_column("source_sha256")
        batch_op.drop_column("source_file")
    with op.batch_alter_table("plan_rows", schema=None) as batch_op:
        batch_op.drop_column("archived_at")
        batch_op.drop_column("markers")
        batch_op.drop_column("extra")
