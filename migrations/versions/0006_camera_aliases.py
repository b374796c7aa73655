"""camera aliases

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('camera_aliases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=128), nullable=False),
    sa.Column('camera_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['camera_id'], ['cameras.id'], ),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('operator_id', 'alias', name='uq_camera_alias')
    )
    with op.batch_alter_table('camera_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_camera_aliases_camera_id'), ['camera_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('camera_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_camera_aliases_camera_id'))

    op.drop_table('camera_aliases')
