"""The date filters of the list pages (a GET form): what a person typing wrongly must see."""
from __future__ import annotations

from tests.helpers import soup


def assert_bad_dates_refused(client, path: str, start: str, end: str) -> None:
    """A date not typed as a date, and an end before the start: 422, the message next to the
    field, what was typed kept."""
    response = client.get(f"{path}?{start}=31/01/2025&{end}=")
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one(f"#{start}-error").get_text() == "Not a valid date value."
    assert page.select_one(f"#{start}")["value"] == "31/01/2025"
    backwards = client.get(f"{path}?{start}=2025-02-01&{end}=2025-01-01")
    assert backwards.status_code == 422
    assert "on or after the start date" in soup(backwards).select_one(f"#{end}-error").get_text()
