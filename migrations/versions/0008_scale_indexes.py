"""indexes for a large deployment: the audit trail filtered by record type and action

Revision ID: 0008_scale_indexes
Revises: 0007_reminders
Create Date: 2026-11-21 18:50:00

"""

from alembic import op

revision = "0008_scale_indexes"
down_revision = "0007_reminders"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entries_entity_action_id", ["entity", "action", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entries_entity_action_id")
