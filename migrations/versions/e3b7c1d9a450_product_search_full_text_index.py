"""product search full-text index: an FTS5 table kept by triggers on SQLite, a GIN tsvector index on
PostgreSQL, over catalog_products.search_text (issue 14, speed targets).

The objects live outside the models' metadata (see SEARCH_INDEX_NAMES in app/catalog/models.py, which
creates the same for `db.create_all()`); the statements are repeated here so this revision stays as it
was written whatever the models become. Triggers rather than upkeep in the catalog sync: every writer of
search_text (the sync, the demo data, the benches) keeps the index current without knowing about it.
A later batch migration that recreates catalog_products on SQLite drops the triggers with the old table
and must create them again.

Revision ID: e3b7c1d9a450
Revises: c4e1a9d7f320
Create Date: 2026-11-29 16:45:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e3b7c1d9a450'
down_revision = 'c4e1a9d7f320'
branch_labels = None
depends_on = None

SQLITE = (
    "CREATE VIRTUAL TABLE catalog_products_fts USING fts5(search_text, content='catalog_products', "
    "content_rowid='id')",
    "CREATE TRIGGER catalog_products_fts_insert AFTER INSERT ON catalog_products BEGIN "
    "INSERT INTO catalog_products_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER catalog_products_fts_delete AFTER DELETE ON catalog_products BEGIN "
    "INSERT INTO catalog_products_fts(catalog_products_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER catalog_products_fts_update AFTER UPDATE OF search_text ON catalog_products BEGIN "
    "INSERT INTO catalog_products_fts(catalog_products_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO catalog_products_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    # Index the products already there.
    "INSERT INTO catalog_products_fts(catalog_products_fts) VALUES ('rebuild')",
)
POSTGRESQL = (
    "CREATE INDEX ix_catalog_products_search ON catalog_products USING gin "
    "(to_tsvector('simple', regexp_replace(search_text, '[[:punct:]]+', ' ', 'g')))",
)


def upgrade():
    dialect = op.get_bind().dialect.name
    for statement in SQLITE if dialect == "sqlite" else POSTGRESQL if dialect == "postgresql" else ():
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS catalog_products_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS catalog_products_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_catalog_products_search")
