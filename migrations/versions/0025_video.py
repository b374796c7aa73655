"""Video through the centre: operators' video hosts and credentials, each view on record, evidence hash checks,
and the SOP steps that watching the video completes

Revision ID: 0025
Revises: 0024
"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("operators") as batch:
        batch.add_column(sa.Column("video_hosts", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("video_auth", sa.String(500), nullable=True))
    with op.batch_alter_table("cameras") as batch:
        batch.add_column(sa.Column("live_protocol", sa.String(8), nullable=False, server_default=""))
        batch.add_column(sa.Column("video_auth", sa.String(500), nullable=True))
    with op.batch_alter_table("sop_steps") as batch:
        batch.add_column(sa.Column("done_by_video", sa.Boolean(), nullable=False, server_default=sa.false()))
    # The shipped "watch the video" steps of an existing install, by their shipped text (services.duty.sop).
    op.execute("UPDATE sop_steps SET done_by_video = true WHERE text LIKE 'Открыть живое видео камеры%' "
               "OR text LIKE 'Проверить по видео%'")
    # Cameras registered before: a playlist URL is HLS; anything else was never playable and stays unnamed.
    op.execute("UPDATE cameras SET live_protocol = 'hls' WHERE live_url LIKE '%.m3u8'")
    op.create_table(
        "video_views",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("camera_id", sa.Integer(), sa.ForeignKey("cameras.id"), nullable=False),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id"), nullable=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("protocol", sa.String(8), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_video_views_camera_started", "video_views", ["camera_id", "started_at"])
    op.create_index("ix_video_views_user_started", "video_views", ["user_id", "started_at"])
    op.create_index("ix_video_views_ended_at", "video_views", ["ended_at"])
    op.create_table(
        "evidence_checks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("events.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("declared", sa.String(64), nullable=False),
        sa.Column("actual", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_by", sa.String(100), nullable=False),
        sa.UniqueConstraint("event_id", "position", name="uq_evidence_check_item"),
    )


def downgrade() -> None:
    op.drop_table("evidence_checks")
    op.drop_index("ix_video_views_ended_at", "video_views")
    op.drop_index("ix_video_views_user_started", "video_views")
    op.drop_index("ix_video_views_camera_started", "video_views")
    op.drop_table("video_views")
    with op.batch_alter_table("sop_steps") as batch:
        batch.drop_column("done_by_video")
    with op.batch_alter_table("cameras") as batch:
        batch.drop_column("video_auth")
        batch.drop_column("live_protocol")
    with op.batch_alter_table("operators") as batch:
        batch.drop_column("video_auth")
        batch.drop_column("video_hosts")
