"""the one name mask (services/infra/privacy.py): names stored masked with one * per hidden
character (王* for 王芳) take the fixed mask (王**), so old and new buyers and comments look alike

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 18:50:00
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The first character and the fixed mask; the unknown neighbour (邻居) is a word, not a mask.
REMASK = {
    "catalog_members": "masked_name",
    "live_comments": "author",
}


def upgrade():
    for table, column in REMASK.items():
        op.execute(
            f"UPDATE {table} SET {column} = substr({column}, 1, 1) || '**' "
            f"WHERE {column} <> '邻居' AND {column} <> substr({column}, 1, 1) || '**'"
        )


def downgrade():
    pass  # the number of hidden characters is not kept: the fixed mask stays
