"""indexes led by the partnership for the audit trail's newest entries and its search by kind

Revision ID: 0017_partnership_indexes
Revises: 0016_region
Create Date: 2026-12-01

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0017_partnership_indexes"
down_revision = "0016_region"
branch_labels = None
depends_on = None


def upgrade():
    # Built in one pass each; on a large deployment the audit trail takes writes again when done
    # (about 10 s for 3.6 million entries on the benchmark's machine).
    op.create_index("ix_audit_entries_partnership_recent", "audit_entries", ["partnership_id", "id"])
    op.create_index(
        "ix_audit_entries_partnership_entity_action", "audit_entries", ["partnership_id", "entity", "action", "id"]
    )


def downgrade():
    op.drop_index("ix_audit_entries_partnership_entity_action", table_name="audit_entries")
    op.drop_index("ix_audit_entries_partnership_recent", table_name="audit_entries")
