"""the partnership's disclosure threshold: counts about people below it are published as [c]

Revision ID: 0013_disclosure
Revises: 0012_plan_columns
Create Date: 2026-11-30

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_disclosure"
down_revision = "0012_plan_columns"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("partnerships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disclosure_threshold", sa.Integer(), server_default="5", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_partnerships_disclosure_threshold_range"), "disclosure_threshold BETWEEN 3 AND 20"
        )


def downgrade():
    with op.batch_alter_table("partnerships", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_partnerships_disclosure_threshold_range"), type_="check")
        batch_op.drop_column("disclosure_threshold")
