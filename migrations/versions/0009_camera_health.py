"""camera health

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('camera_health_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('camera_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=False),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['camera_id'], ['cameras.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('camera_health_changes', schema=None) as batch_op:
        batch_op.create_index('ix_camera_health_changes_camera_at', ['camera_id', 'at'], unique=False)

    with op.batch_alter_table('cameras', schema=None) as batch_op:
        batch_op.add_column(sa.Column('health_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('back_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('expected_interval_s', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_cameras_health'), ['health'], unique=False)
        batch_op.create_index(batch_op.f('ix_cameras_last_seen_at'), ['last_seen_at'], unique=False)

    with op.batch_alter_table('operators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_interval_s', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('offline_after_s', sa.Integer(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('operators', schema=None) as batch_op:
        batch_op.drop_column('offline_after_s')
        batch_op.drop_column('heartbeat_interval_s')

    with op.batch_alter_table('cameras', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cameras_last_seen_at'))
        batch_op.drop_index(batch_op.f('ix_cameras_health'))
        batch_op.drop_column('expected_interval_s')
        batch_op.drop_column('back_since')
        batch_op.drop_column('health_since')

    with op.batch_alter_table('camera_health_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_camera_health_changes_camera_at')

    op.drop_table('camera_health_changes')
