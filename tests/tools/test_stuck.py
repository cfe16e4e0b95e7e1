"""admin > Tools > Stuck work: a catalog sync's row says how it was started and where it stands in words, as
an order's row does, not the stored codes ("automatic", "queued")."""
from __future__ import annotations

from datetime import timedelta

from app.accounts.models import utcnow
from app.catalog.models import CatalogSync
from app.catalog.sync import SYNC_DEADLINE
from tests.helpers import soup


def test_a_stuck_syncs_row_says_how_it_started_and_its_status_in_words(demo, db, operator_client):
    started = utcnow() - SYNC_DEADLINE - timedelta(minutes=1)
    monthly = CatalogSync(status="queued", trigger="automatic", created_at=started, errors=[])
    db.session.add(monthly)
    db.session.commit()
    row = soup(operator_client.get("/admin/stuck")).select_one(f"#stuck-sync-{monthly.id}")
    cells = [td.get_text(strip=True) for td in row.select("td")]
    assert cells[1:3] == ["Monthly (automatic)", "Queued"]
