"""many partnerships on one deployment: partnership_id on every partnership-owned table, names
unique within a partnership, and (PostgreSQL) row-level security reading app.partnerships

Revision ID: 0015_tenancy
Revises: 0014_signin
Create Date: 2026-12-01

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015_tenancy"
down_revision = "0014_signin"
branch_labels = None
depends_on = None

#: Tables that had no partnership_id: every row belongs to a partnership from now on.
NEW_SCOPED = [
    "users",
    "user_roles",
    "retention_runs",
    "reminder_log",
    "reminder_opt_outs",
    "spoc_assignments",
    "referral_counts",
    "plans",
    "plan_sections",
    "plan_rows",
    "progress_updates",
    "evidence_files",
    "agenda_items",
    "board_attendance",
    "board_decisions",
    "board_actions",
    "plan_checks",
    "meeting_papers",
    "training_courses",
    "training_people",
    "training_facilitators",
    "training_sessions",
    "training_imports",
    "training_completions",
    "training_headcounts",
    "training_evaluations",
    "compliance_expectations",
    "compliance_evidence_links",
    "compliance_improvement_actions",
    "compliance_findings",
    "channel_panel_members",
    "channel_panels",
    "channel_panel_meetings",
    "channel_panel_attendance",
    "channel_cases",
    "channel_case_personal_details",
    "channel_support_items",
    "channel_information_shares",
    "channel_post_closure_reviews",
    "channel_anonymised_log",
]
#: Logs with entries of the deployment's own (no partnership) as well as partnerships'.
NEW_OPTIONAL = ["audit_entries", "security_events"]
ALREADY_SCOPED = ["organisations", "business_areas", "board_members", "membership_reviews", "board_meetings"]
ALREADY_SCOPED += ["compliance_assessments"]

#: Unique names and references: now unique within a partnership (another partnership's "CP-001"
#: must neither clash nor reveal that it exists).
UNIQUE_CHANGES = [
    ("training_courses", "name"),
    ("training_people", "email"),
    ("training_facilitators", "name"),
    ("channel_panel_meetings", "held_on"),
    ("channel_cases", "reference"),
]

POLICY_FUNCTION = """
CREATE OR REPLACE FUNCTION partnership_in_scope(pid integer) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT CASE coalesce(current_setting('app.partnerships', true), '')
    WHEN '*' THEN true
    WHEN '' THEN false
    ELSE pid = ANY (string_to_array(current_setting('app.partnerships', true), ',')::integer[])
  END
$$
"""


def _protect(table: str, column: str = "partnership_id", *, optional: bool = False) -> None:
    check = f"partnership_in_scope({column})"
    if optional:
        # A deployment-level entry (no partnership) may be written from any scope, read only by all.
        write_check = f"({column} IS NULL OR {check})"
    else:
        write_check = check
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY partnership_scope ON {table} USING ({check}) WITH CHECK ({write_check})")


def upgrade():
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute("SELECT set_config('app.partnerships', '*', false)")
    partnerships = [row[0] for row in bind.execute(sa.text("SELECT id FROM partnerships ORDER BY id"))]
    if not partnerships and any(
        bind.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() for table in NEW_SCOPED
    ):
        # Accounts or records made before any partnership was set up: they get one, to be renamed.
        op.execute(
            "INSERT INTO partnerships (name, training_target_percent, training_amber_band_points, "
            "leaver_retention_months, disclosure_threshold, created_at, updated_at) "
            "VALUES ('Prevent partnership', 90, 10, 24, 5, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
        partnerships = [row[0] for row in bind.execute(sa.text("SELECT id FROM partnerships ORDER BY id"))]

    for table in NEW_SCOPED + NEW_OPTIONAL:
        op.add_column(table, sa.Column("partnership_id", sa.Integer(), nullable=True))
        filled = bind.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None
        if filled and len(partnerships) > 1 and table not in NEW_OPTIONAL:
            raise RuntimeError(
                f"{table} holds rows and the database holds {len(partnerships)} partnerships: rows made before "
                "partnerships were kept apart cannot be told apart. Restore a one-partnership backup, or "
                "regenerate the data."
            )
        if filled and len(partnerships) == 1:
            op.execute(sa.text(f"UPDATE {table} SET partnership_id = {partnerships[0]:d}"))
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table not in NEW_OPTIONAL:
                batch_op.alter_column("partnership_id", existing_type=sa.Integer(), nullable=False)
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_partnership_id_partnerships"),
                "partnerships",
                ["partnership_id"],
                ["id"],
                ondelete="RESTRICT",
            )
            batch_op.create_index(batch_op.f(f"ix_{table}_partnership_id"), ["partnership_id"], unique=False)

    for table, column in UNIQUE_CHANGES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"uq_{table}_{column}"), type_="unique")
            batch_op.create_unique_constraint(batch_op.f(f"uq_{table}_partnership_id"), ["partnership_id", column])

    with op.batch_alter_table("channel_panels", schema=None) as batch_op:
        # One panel per partnership (it was one per deployment, with id 1).
        batch_op.drop_constraint(batch_op.f("ck_channel_panels_single_panel"), type_="check")
        batch_op.create_unique_constraint(batch_op.f("uq_channel_panels_partnership_id"), ["partnership_id"])

    if postgres:
        op.execute(POLICY_FUNCTION)
        for table in NEW_SCOPED + ALREADY_SCOPED:
            _protect(table)
        for table in NEW_OPTIONAL:
            _protect(table, optional=True)
        _protect("partnerships", "id")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("SELECT set_config('app.partnerships', '*', false)")
        for table in [*NEW_SCOPED, *ALREADY_SCOPED, *NEW_OPTIONAL, "partnerships"]:
            op.execute(f"DROP POLICY IF EXISTS partnership_scope ON {table}")
            op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        op.execute("DROP FUNCTION IF EXISTS partnership_in_scope(integer)")
    with op.batch_alter_table("channel_panels", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_channel_panels_partnership_id"), type_="unique")
        batch_op.create_check_constraint(batch_op.f("ck_channel_panels_single_panel"), "id = 1")
    for table, column in UNIQUE_CHANGES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"uq_{table}_partnership_id"), type_="unique")
            batch_op.create_unique_constraint(batch_op.f(f"uq_{table}_{column}"), [column])
    for table in reversed(NEW_SCOPED + NEW_OPTIONAL):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_partnership_id"))
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_partnership_id_partnerships"), type_="foreignkey")
            batch_op.drop_column("partnership_id")
