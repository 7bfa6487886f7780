"""call forms: sections, typed questions with choices and conditions, answers as rows; every
existing program gets the default form (the six fixed answers) and its applications' answers
move into answer rows; the six columns are dropped (downgrade puts them back, filled)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = (
    'short_text', 'long_text', 'number', 'money', 'date', 'single_choice', 'multiple_choice',
    'yes_no', 'url', 'email', 'file',
)
TEXTS = ('problem', 'solution', 'market', 'traction', 'team')
# The default form (incubator/questions/library.py DEFAULT_FORM, copied: no app imports here):
# (title vi, title en, [(key, kind, label vi, label en, help vi, help en)])
DEFAULT_FORM = [
    ('Dự án', 'Project', [
        ('problem', 'long_text', 'Vấn đề', 'Problem', 'Bạn giải quyết vấn đề gì, và cho ai?',
         'Which problem do you solve, and for whom?'),
        ('solution', 'long_text', 'Giải pháp', 'Solution',
         'Sản phẩm hoặc dịch vụ của bạn, và điểm vượt trội so với các giải pháp hiện có.',
         'Your product or service, and what makes it better than what exists.'),
    ]),
    ('Thị trường và kết quả', 'Market and traction', [
        ('market', 'long_text', 'Thị trường', 'Market',
         'Ai là người trả tiền, quy mô bao nhiêu và bạn tiếp cận họ bằng cách nào.',
         'Who pays, how many of them, and how you reach them.'),
        ('traction', 'long_text', 'Kết quả đạt được', 'Traction',
         'Khách hàng, doanh thu, dự án thí điểm hoặc đối tác đã có đến nay.',
         'Customers, revenue, pilots or partnerships so far.'),
    ]),
    ('Đội ngũ', 'Team', [
        ('team', 'long_text', 'Đội ngũ', 'Team', 'Ai đảm nhận việc gì, và vì sao đội ngũ này có thể thực hiện thành công.',
         'Who does what, and why this team can make it happen.'),
    ]),
    ('Nhu cầu vốn', 'Funding', [
        ('funding_need_vnd', 'money', 'Nhu cầu vốn (VND)', 'Funding need (VND)',
         'Số vốn bạn cần huy động trong 12 tháng tới, tính bằng VND.',
         'How much funding you look for in the next 12 months, in VND.'),
    ]),
]
FUNDING_CHECK = 'CONSTRAINT ck_applications_funding_need CHECK (funding_need_vnd IS NULL OR funding_need_vnd >= 0)'


def _create_tables() -> None:
    op.create_table(
        'form_sections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('program_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('title_vi', sa.String(length=200), nullable=False),
        sa.Column('title_en', sa.String(length=200), nullable=False),
        sa.Column('help_vi', sa.Text(), nullable=False),
        sa.Column('help_en', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_form_sections_program_id_programs'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_form_sections')),
    )
    op.create_index(op.f('ix_form_sections_program_id'), 'form_sections', ['program_id'], unique=False)
    op.create_table(
        'questions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('program_id', sa.Integer(), nullable=False),
        sa.Column('section_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.Enum(*KINDS, name='kind', native_enum=False, create_constraint=True, length=24), nullable=False),
        sa.Column('label_vi', sa.String(length=300), nullable=False),
        sa.Column('label_en', sa.String(length=300), nullable=False),
        sa.Column('help_vi', sa.Text(), nullable=False),
        sa.Column('help_en', sa.Text(), nullable=False),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.Column('max_length', sa.Integer(), nullable=True),
        sa.Column('hidden', sa.Boolean(), nullable=False),
        sa.Column('condition_question_id', sa.Integer(), nullable=True),
        sa.Column('condition_value', sa.String(length=40), nullable=False),
        sa.CheckConstraint('max_length IS NULL OR max_length > 0', name=op.f('ck_questions_max_length_positive')),
        sa.ForeignKeyConstraint(['condition_question_id'], ['questions.id'], name=op.f('fk_questions_condition_question_id_questions'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_questions_program_id_programs'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['section_id'], ['form_sections.id'], name=op.f('fk_questions_section_id_form_sections'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_questions')),
        sa.UniqueConstraint('program_id', 'key', name='one_key_per_program'),
        sa.UniqueConstraint('section_id', 'label_vi', name='one_label_per_section'),
    )
    op.create_index(op.f('ix_questions_condition_question_id'), 'questions', ['condition_question_id'], unique=False)
    op.create_index('ix_questions_program_position', 'questions', ['program_id', 'section_id', 'position'], unique=False)
    op.create_index(op.f('ix_questions_section_id'), 'questions', ['section_id'], unique=False)
    op.create_table(
        'question_choices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('value', sa.String(length=40), nullable=False),
        sa.Column('label_vi', sa.String(length=200), nullable=False),
        sa.Column('label_en', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_question_choices_question_id_questions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_question_choices')),
        sa.UniqueConstraint('question_id', 'value', name='one_value_per_question'),
    )
    op.create_index(op.f('ix_question_choices_question_id'), 'question_choices', ['question_id'], unique=False)
    op.create_table(
        'answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('value_text', sa.Text(), nullable=True),
        sa.Column('value_number', sa.Numeric(precision=20, scale=4, asdecimal=False), nullable=True),
        sa.Column('value_date', sa.Date(), nullable=True),
        sa.Column('value_bool', sa.Boolean(), nullable=True),
        sa.Column('file_name', sa.String(length=80), nullable=True),
        sa.Column('file_size', sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_answers_application_id_applications'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_answers_question_id_questions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_answers')),
        sa.UniqueConstraint('application_id', 'question_id', name='one_per_question'),
    )
    op.create_index('ix_answers_question_bool', 'answers', ['question_id', 'value_bool'], unique=False)
    op.create_index(op.f('ix_answers_question_id'), 'answers', ['question_id'], unique=False)
    op.create_index('ix_answers_question_number', 'answers', ['question_id', 'value_number'], unique=False)
    op.create_table(
        'answer_choices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('answer_id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('choice_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['answer_id'], ['answers.id'], name=op.f('fk_answer_choices_answer_id_answers'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_answer_choices_application_id_applications'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['choice_id'], ['question_choices.id'], name=op.f('fk_answer_choices_choice_id_question_choices'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_choices')),
        sa.UniqueConstraint('answer_id', 'choice_id', name='one_per_choice'),
    )
    op.create_index(op.f('ix_answer_choices_application_id'), 'answer_choices', ['application_id'], unique=False)
    op.create_index('ix_answer_choices_choice_application', 'answer_choices', ['choice_id', 'application_id'], unique=False)


def _default_forms(connection: sa.Connection) -> None:
    """The default form for every program, in a few statements whatever their number."""
    for position, (title_vi, title_en, questions) in enumerate(DEFAULT_FORM):
        connection.execute(
            sa.text(
                'INSERT INTO form_sections (program_id, position, title_vi, title_en, help_vi, help_en)'
                " SELECT id, :position, :title_vi, :title_en, '', '' FROM programs"
            ),
            {'position': position, 'title_vi': title_vi, 'title_en': title_en},
        )
        for index, (key, kind, label_vi, label_en, help_vi, help_en) in enumerate(questions):
            connection.execute(
                sa.text(
                    'INSERT INTO questions (program_id, section_id, position, key, kind, label_vi,'
                    ' label_en, help_vi, help_en, required, max_length, hidden, condition_value)'
                    ' SELECT s.program_id, s.id, :position, :key, :kind, :label_vi, :label_en,'
                    " :help_vi, :help_en, :yes, :max_length, :no, '' FROM form_sections s"
                    ' WHERE s.title_vi = :title_vi AND s.position = :section'
                ),
                {
                    'position': index, 'key': key, 'kind': kind, 'label_vi': label_vi,
                    'label_en': label_en, 'help_vi': help_vi, 'help_en': help_en, 'yes': True,
                    'no': False, 'max_length': 5000 if kind == 'long_text' else None,
                    'title_vi': title_vi, 'section': position,
                },
            )


def _move_answers(connection: sa.Connection) -> None:
    for key in TEXTS:
        connection.execute(
            sa.text(
                f'INSERT INTO answers (application_id, question_id, value_text)'
                f' SELECT a.id, q.id, a.{key} FROM applications a JOIN questions q'
                f" ON q.program_id = a.program_id AND q.key = '{key}'"
                f" WHERE a.{key} IS NOT NULL AND trim(a.{key}) <> ''"
            )
        )
    connection.execute(
        sa.text(
            'INSERT INTO answers (application_id, question_id, value_number)'
            ' SELECT a.id, q.id, a.funding_need_vnd FROM applications a JOIN questions q'
            " ON q.program_id = a.program_id AND q.key = 'funding_need_vnd'"
            ' WHERE a.funding_need_vnd IS NOT NULL'
        )
    )


def _edit_sqlite_table_sql(connection: sa.Connection, table: str, change) -> None:
    """SQLite cannot drop a column a table CHECK names, nor add a named table CHECK, in place;
    rebuilding `applications` would cascade-delete its history (foreign keys are on). The
    documented way round: edit the stored CREATE TABLE, then bump the schema version."""
    sql = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    version = connection.exec_driver_sql('PRAGMA schema_version').scalar_one()
    connection.exec_driver_sql('PRAGMA writable_schema = ON')
    connection.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (change(sql), table)
    )
    connection.exec_driver_sql(f'PRAGMA schema_version = {version + 1}')
    connection.exec_driver_sql('PRAGMA writable_schema = OFF')


def upgrade() -> None:
    _create_tables()
    connection = op.get_bind()
    _default_forms(connection)
    _move_answers(connection)
    if connection.dialect.name == 'sqlite':
        _edit_sqlite_table_sql(
            connection,
            'applications',
            lambda sql: re.sub(r',\s*CONSTRAINT ck_applications_funding_need CHECK \((?:[^()]|\([^()]*\))*\)', '', sql),
        )
    else:
        op.drop_constraint(op.f('ck_applications_funding_need'), 'applications', type_='check')
    for column in (*TEXTS, 'funding_need_vnd'):
        op.drop_column('applications', column)


def downgrade() -> None:
    connection = op.get_bind()
    sqlite = connection.dialect.name == 'sqlite'
    for column in TEXTS:
        op.add_column('applications', sa.Column(column, sa.Text(), nullable=False, server_default=''))
        if not sqlite:
            op.alter_column('applications', column, server_default=None)
    op.add_column('applications', sa.Column('funding_need_vnd', sa.BigInteger(), nullable=True))
    if sqlite:
        _edit_sqlite_table_sql(
            connection, 'applications', lambda sql: sql[: sql.rindex(')')] + ', ' + FUNDING_CHECK + ')'
        )
    else:
        op.create_check_constraint(
            op.f('ck_applications_funding_need'), 'applications',
            'funding_need_vnd IS NULL OR funding_need_vnd >= 0',
        )
    for key in TEXTS:
        connection.execute(
            sa.text(
                f'UPDATE applications SET {key} = (SELECT n.value_text FROM answers n JOIN questions q'
                f" ON q.id = n.question_id WHERE n.application_id = applications.id AND q.key = '{key}')"
                f' WHERE EXISTS (SELECT 1 FROM answers n JOIN questions q ON q.id = n.question_id'
                f" WHERE n.application_id = applications.id AND q.key = '{key}' AND n.value_text IS NOT NULL)"
            )
        )
    connection.execute(
        sa.text(
            'UPDATE applications SET funding_need_vnd = (SELECT CAST(n.value_number AS BIGINT)'
            ' FROM answers n JOIN questions q ON q.id = n.question_id'
            " WHERE n.application_id = applications.id AND q.key = 'funding_need_vnd')"
        )
    )
    for table in ('answer_choices', 'answers', 'question_choices', 'questions', 'form_sections'):
        op.drop_table(table)
