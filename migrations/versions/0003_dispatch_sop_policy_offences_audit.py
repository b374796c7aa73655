"""dispatch sop policy offences audit

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('prev_hash')
    )
    op.create_table('sop_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_type', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('mandatory', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_type', 'position', name='uq_sop_step_position')
    )
    with op.batch_alter_table('sop_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sop_steps_incident_type'), ['incident_type'], unique=False)

    op.create_table('priority_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('incident_type', sa.String(length=64), nullable=False),
    sa.Column('mount_kind', sa.String(length=32), nullable=True),
    sa.Column('night_only', sa.Boolean(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('priority_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_priority_rules_department_id'), ['department_id'], unique=False)

    op.create_table('incident_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('related_id', sa.Integer(), nullable=False),
    sa.Column('distance_m', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.ForeignKeyConstraint(['related_id'], ['incidents.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id', 'related_id', name='uq_incident_link')
    )
    with op.batch_alter_table('incident_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_links_incident_id'), ['incident_id'], unique=False)

    op.create_table('incident_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incident_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_notes_incident_id'), ['incident_id'], unique=False)

    op.create_table('incident_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('dispatched_by', sa.String(length=64), nullable=False),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('distance_m', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incident_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_units_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_units_unit_id'), ['unit_id'], unique=False)

    op.create_table('sop_ticks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.ForeignKeyConstraint(['step_id'], ['sop_steps.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id', 'step_id', name='uq_sop_tick')
    )
    with op.batch_alter_table('sop_ticks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sop_ticks_incident_id'), ['incident_id'], unique=False)

    op.create_table('offences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('camera_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('plate', sa.String(length=16), nullable=False),
    sa.Column('plate_country', sa.String(length=2), nullable=False),
    sa.Column('speed_kmh', sa.Double(), nullable=True),
    sa.Column('limit_kmh', sa.Double(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['camera_id'], ['cameras.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], ),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id')
    )
    with op.batch_alter_table('offences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offences_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offences_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_offences_operator_id'), ['operator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offences_plate'), ['plate'], unique=False)

    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_number', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('outcome_note', sa.Text(), nullable=False, server_default=''))



def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('outcome_note')
        batch_op.drop_column('case_number')

    with op.batch_alter_table('offences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offences_plate'))
        batch_op.drop_index(batch_op.f('ix_offences_operator_id'))
        batch_op.drop_index(batch_op.f('ix_offences_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_offences_department_id'))

    op.drop_table('offences')
    with op.batch_alter_table('sop_ticks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sop_ticks_incident_id'))

    op.drop_table('sop_ticks')
    with op.batch_alter_table('incident_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_units_unit_id'))
        batch_op.drop_index(batch_op.f('ix_incident_units_incident_id'))

    op.drop_table('incident_units')
    with op.batch_alter_table('incident_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_notes_incident_id'))

    op.drop_table('incident_notes')
    with op.batch_alter_table('incident_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_links_incident_id'))

    op.drop_table('incident_links')
    with op.batch_alter_table('priority_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_priority_rules_department_id'))

    op.drop_table('priority_rules')
    with op.batch_alter_table('sop_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sop_steps_incident_type'))

    op.drop_table('sop_steps')
    op.drop_table('audit_log')
