"""regional coordinators: the regional_coordinator role, and grants of a partnership's roll-ups

Revision ID: 0016_region
Revises: 0015_tenancy
Create Date: 2026-12-01

"""

import sqlalchemy as sa
from alembic import op

import core.db

# revision identifiers, used by Alembic.
revision = "0016_region"
down_revision = "0015_tenancy"
branch_labels = None
depends_on = None

ROLES = ["prevent_lead", "spoc", "board_member", "panel_chair", "panel_member", "training_coordinator", "auditor"]


def _roles_check(roles: list[str]) -> str:
    return "role IN ({})".format(", ".join(f"'{role}'" for role in roles))


def upgrade():
    with op.batch_alter_table("user_roles", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_user_roles_known_role"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_user_roles_known_role"), _roles_check([*ROLES, "regional_coordinator"])
        )
    # Not a partnership's own table (a grant joins an account of one partnership to another), so
    # it has no row-level security policy: it is read with every partnership in scope.
    op.create_table(
        "regional_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("granted_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name=op.f("fk_regional_grants_partnership_id_partnerships"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_regional_grants_user_id_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regional_grants")),
        sa.UniqueConstraint("user_id", "partnership_id", name=op.f("uq_regional_grants_user_id")),
    )
    with op.batch_alter_table("regional_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_regional_grants_partnership_id"), ["partnership_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_regional_grants_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("regional_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regional_grants_user_id"))
        batch_op.drop_index(batch_op.f("ix_regional_grants_partnership_id"))
    op.drop_table("regional_grants")
    op.execute("DELETE FROM user_roles WHERE role = 'regional_coordinator'")
    with op.batch_alter_table("user_roles", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_user_roles_known_role"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_user_roles_known_role"), _roles_check(ROLES))
