"""retention schedules: one table of runs for every schedule (replacing the Channel-only one),
accounts' deactivation and redaction dates, the partnership's leaver retention setting

Revision ID: 0011_retention
Revises: 0010_yearend
Create Date: 2026-11-30

"""

import sqlalchemy as sa
from alembic import op

import core.db

# revision identifiers, used by Alembic.
revision = "0011_retention"
down_revision = "0010_yearend"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "retention_runs",
        sa.Column("schedule", sa.String(length=40), nullable=False),
        sa.Column("ran_on", sa.Date(), nullable=False),
        sa.Column("removed_count", sa.Integer(), nullable=False),
        sa.Column("kept_count", sa.Integer(), nullable=False),
        sa.Column("oldest_due_on", sa.Date(), nullable=True),
        sa.Column("run_by", sa.String(length=254), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_runs")),
    )
    with op.batch_alter_table("retention_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retention_runs_ran_on"), ["ran_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_retention_runs_schedule"), ["schedule"], unique=False)
    # The Channel runs recorded so far become runs of the channel_cases schedule.
    op.execute(
        "INSERT INTO retention_runs (schedule, ran_on, removed_count, kept_count, oldest_due_on, run_by, "
        "created_at, updated_at) SELECT 'channel_cases', ran_on, deleted_count, kept_open_count, NULL, run_by, "
        "created_at, updated_at FROM channel_retention_runs"
    )
    with op.batch_alter_table("channel_retention_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_retention_runs_ran_on"))
    op.drop_table("channel_retention_runs")

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deactivated_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("personal_data_removed_on", sa.Date(), nullable=True))
    # Accounts already deactivated: the day of their last change is the best date there is.
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("active", sa.Boolean),
        sa.column("updated_at", core.db.UTCDateTime(timezone=True)),
        sa.column("deactivated_on", sa.Date),
    )
    conn = op.get_bind()
    for user_id, updated_at in conn.execute(sa.select(users.c.id, users.c.updated_at).where(users.c.active.is_(False))):
        conn.execute(sa.update(users).where(users.c.id == user_id).values(deactivated_on=updated_at.date()))

    with op.batch_alter_table("partnerships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("leaver_retention_months", sa.Integer(), server_default="24", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_partnerships_leaver_retention_in_range"), "leaver_retention_months BETWEEN 1 AND 240"
        )


def downgrade():
    with op.batch_alter_table("partnerships", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_partnerships_leaver_retention_in_range"), type_="check")
        batch_op.drop_column("leaver_retention_months")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("personal_data_removed_on")
        batch_op.drop_column("deactivated_on")
    op.create_table(
        "channel_retention_runs",
        sa.Column("ran_on", sa.Date(), nullable=False),
        sa.Column("deleted_count", sa.Integer(), nullable=False),
        sa.Column("kept_open_count", sa.Integer(), nullable=False),
        sa.Column("run_by", sa.String(length=254), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_retention_runs")),
    )
    with op.batch_alter_table("channel_retention_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_channel_retention_runs_ran_on"), ["ran_on"], unique=False)
    op.execute(
        "INSERT INTO channel_retention_runs (ran_on, deleted_count, kept_open_count, run_by, created_at, updated_at) "
        "SELECT ran_on, removed_count, kept_count, run_by, created_at, updated_at FROM retention_runs "
        "WHERE schedule = 'channel_cases'"
    )
    with op.batch_alter_table("retention_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retention_runs_schedule"))
        batch_op.drop_index(batch_op.f("ix_retention_runs_ran_on"))
    op.drop_table("retention_runs")
