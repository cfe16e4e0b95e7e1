"""`flask db upgrade` builds the schema on SQLite and PostgreSQL, and it matches the models."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app.catalog.models import in_metadata
from app.extensions import db
from tests.support.servers import POSTGRES, TEST_DATABASE_URL
from tests.helpers import make_app
from app.config import database_url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not POSTGRES, reason="no PostgreSQL"))])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path / "migrated.db")
        return
    # A schema of its own, so the suite's tables in `public` are untouched.
    url = database_url(TEST_DATABASE_URL)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS migration_test CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA migration_test"))
    yield url + ("&" if "?" in url else "?") + "options=-csearch_path%3Dmigration_test"
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS migration_test CASCADE"))
    engine.dispose()


def test_upgrade_builds_a_schema_that_matches_the_models(empty_database, redis_url, tmp_path):
    app = make_app(empty_database, redis_url, tmp_path / "instance")
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            # The search index's FTS5 table / GIN index are outside the metadata on purpose.
            diff = compare_metadata(MigrationContext.configure(conn, opts={"include_name": in_metadata}),
                                    db.metadata)
        assert diff == [], diff
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"accounts", "users", "licensees", "tenants", "storefront_settings", "audit_events"} <= tables
        # The product search's full-text index, which the migration makes outside the metadata.
        with db.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                assert "catalog_products_fts" in tables
            else:
                assert conn.scalar(sa.text("SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() "
                                           "AND indexname = 'ix_catalog_products_search'")) == 1
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
