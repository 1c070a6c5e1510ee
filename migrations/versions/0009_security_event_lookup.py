"""security events looked up by user and kind (the per-request signed-out session check)

Revision ID: 0009_security_event_lookup
Revises: 0008_scale_indexes
Create Date: 2026-11-21

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0009_security_event_lookup"
down_revision = "0008_scale_indexes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("security_events", schema=None) as batch_op:
        batch_op.create_index("ix_security_events_user_kind", ["user_id", "kind"], unique=False)


def downgrade():
    with op.batch_alter_table("security_events", schema=None) as batch_op:
        batch_op.drop_index("ix_security_events_user_kind")
