"""Fablab powers end at the center (issue 29): a category certificate names the center whose
labs it opens, and no-shows are counted (and reset) per center.

Existing category certificates go to the center of the manager who granted them, or, granted
by someone without one (an administrator), to every center (what they opened before). A
startup's no-shows go to each center where it has a no-show booking (the suspension stays
where it was earned).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fablab_certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("center_id", sa.Integer(), nullable=True))
        # one per user, center and category (before the copies below)
        batch_op.drop_constraint("one_per_category", type_="unique")
        batch_op.create_unique_constraint("one_per_category", ["user_id", "center_id", "category"])
    connection = op.get_bind()
    connection.execute(
        sa.text(
            "UPDATE fablab_certificates SET center_id = ("
            " SELECT min(g.center_id) FROM role_grants g"
            " WHERE g.user_id = fablab_certificates.granted_by_id AND g.role = 'manager')"
            " WHERE category IS NOT NULL"
        )
    )
    unplaced = connection.execute(
        sa.text(
            "SELECT id, user_id, category, expires_on, granted_by_id, granted_at"
            " FROM fablab_certificates WHERE category IS NOT NULL AND center_id IS NULL"
        )
    ).all()
    centers = [row[0] for row in connection.execute(sa.text("SELECT id FROM centers ORDER BY id"))]
    for row in unplaced:
        if not centers:
            connection.execute(
                sa.text("DELETE FROM fablab_certificates WHERE id = :id"), {"id": row.id}
            )
            continue
        connection.execute(
            sa.text("UPDATE fablab_certificates SET center_id = :center WHERE id = :id"),
            {"center": centers[0], "id": row.id},
        )
        for center in centers[1:]:
            taken = connection.execute(
                sa.text(
                    "SELECT 1 FROM fablab_certificates WHERE user_id = :user"
                    " AND category = :category AND center_id = :center"
                ),
                {"user": row.user_id, "category": row.category, "center": center},
            ).first()
            if taken is None:
                connection.execute(
                    sa.text(
                        "INSERT INTO fablab_certificates (user_id, category, center_id,"
                        " expires_on, granted_by_id, granted_at) VALUES (:user, :category,"
                        " :center, :expires_on, :granted_by, :granted_at)"
                    ),
                    {
                        "user": row.user_id,
                        "category": row.category,
                        "center": center,
                        "expires_on": row.expires_on,
                        "granted_by": row.granted_by_id,
                        "granted_at": row.granted_at,
                    },
                )
    with op.batch_alter_table("fablab_certificates", schema=None) as batch_op:
        batch_op.create_check_constraint(
            batch_op.f("ck_fablab_certificates_category_has_center"),
            "(category IS NULL) = (center_id IS NULL)",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_fablab_certificates_center_id_centers"),
            "centers",
            ["center_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(
            "ix_fablab_certificates_center_granted", ["center_id", "granted_at"], unique=False
        )

    # no-shows per (startup, center): the table is made again with its new key
    old = connection.execute(
        sa.text(
            "SELECT s.startup_id, l.center_id, s.no_shows, s.reset_at"
            " FROM fablab_startups s"
            " JOIN fablab_bookings b ON b.startup_id = s.startup_id AND b.status = 'no_show'"
            " JOIN fablab_machines m ON m.id = b.machine_id"
            " JOIN fablab_labs l ON l.id = m.lab_id"
            " WHERE s.no_shows > 0"
            " GROUP BY s.startup_id, l.center_id, s.no_shows, s.reset_at"
        )
    ).all()
    op.drop_table("fablab_startups")
    table = op.create_table(
        "fablab_startups",
        sa.Column("startup_id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("no_shows", sa.Integer(), nullable=False),
        sa.Column("reset_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["center_id"],
            ["centers.id"],
            name=op.f("fk_fablab_startups_center_id_centers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["startup_id"],
            ["startups.id"],
            name=op.f("fk_fablab_startups_startup_id_startups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("startup_id", "center_id", name=op.f("pk_fablab_startups")),
    )
    with op.batch_alter_table("fablab_startups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_fablab_startups_center_no_shows", ["center_id", "no_shows"], unique=False
        )
    if old:
        op.bulk_insert(
            table,
            [
                {"startup_id": r[0], "center_id": r[1], "no_shows": r[2], "reset_at": r[3]}
                for r in old
            ],
        )


def downgrade() -> None:
    connection = op.get_bind()
    old = connection.execute(
        sa.text(
            "SELECT startup_id, max(no_shows), max(reset_at) FROM fablab_startups"
            " GROUP BY startup_id"
        )
    ).all()
    with op.batch_alter_table("fablab_startups", schema=None) as batch_op:
        batch_op.drop_index("ix_fablab_startups_center_no_shows")
    op.drop_table("fablab_startups")
    table = op.create_table(
        "fablab_startups",
        sa.Column("startup_id", sa.Integer(), nullable=False),
        sa.Column("no_shows", sa.Integer(), nullable=False),
        sa.Column("reset_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["startup_id"],
            ["startups.id"],
            name=op.f("fk_fablab_startups_startup_id_startups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("startup_id", name=op.f("pk_fablab_startups")),
    )
    if old:
        op.bulk_insert(
            table, [{"startup_id": r[0], "no_shows": r[1], "reset_at": r[2]} for r in old]
        )

    # one category certificate per user and category again: keep the latest granted
    connection.execute(
        sa.text(
            "DELETE FROM fablab_certificates WHERE category IS NOT NULL AND id NOT IN ("
            " SELECT max(id) FROM fablab_certificates WHERE category IS NOT NULL"
            " GROUP BY user_id, category)"
        )
    )
    with op.batch_alter_table("fablab_certificates", schema=None) as batch_op:
        batch_op.drop_index("ix_fablab_certificates_center_granted")
        batch_op.drop_constraint(
            batch_op.f("fk_fablab_certificates_center_id_centers"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("ck_fablab_certificates_category_has_center"), type_="check"
        )
        batch_op.drop_constraint("one_per_category", type_="unique")
        batch_op.create_unique_constraint("one_per_category", ["user_id", "category"])
        batch_op.drop_column("center_id")
