"""The filters of the list pages (a GET form): what a person typing wrongly (or editing the address)
must see: the message next to the field, what was typed kept, and above the rows that the list is
shown without that filter (it never looks filtered by what it refused)."""
from __future__ import annotations

from tests.helpers import soup

UNAPPLIED_ONE = "Shown without the {label} filter: correct it above."


def _label(page, name: str) -> str:
    return page.select_one(f"label[for={name}]").find(string=True, recursive=False).strip()


def assert_bad_dates_refused(client, path: str, start: str, end: str) -> None:
    """A date not typed as a date, and an end before the start: 422, the message next to the
    field, what was typed kept, the list said to be shown without it."""
    for typed in ("31/01/2025", "2025-13-45"):
        response = client.get(path, query_string={start: typed, end: ""})
        assert response.status_code == 422
        page = soup(response)
        assert page.select_one(f"#{start}-error").get_text() == "Enter a date like 2026-01-31."
        assert page.select_one(f"#{start}")["value"] == typed
        # The hints above the dates say which days the range takes, in no format (the browser's date box shows
        # its own).
        assert [page.select_one(f"#{name}-hint").get_text() for name in (start, end)] == [
            "On or after this date (UTC).", "On or before this date (UTC)."]
        assert page.select_one("#filters-unapplied").get_text() == UNAPPLIED_ONE.format(label=_label(page, start))
    backwards = client.get(f"{path}?{start}=2025-02-01&{end}=2025-01-01")
    assert backwards.status_code == 422
    page = soup(backwards)
    assert "on or after the start date" in page.select_one(f"#{end}-error").get_text()
    assert page.select_one("#filters-unapplied").get_text() == UNAPPLIED_ONE.format(label=_label(page, end))
    assert soup(client.get(path)).select_one("#filters-unapplied") is None


def assert_bad_choice_refused(client, path: str, name: str, what: str) -> None:
    """A drop-down filter given a value it does not offer: 422, "Choose <what> from the list." next
    to it, and the list said to be shown without it."""
    response = client.get(path, query_string={name: "bogus"})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one(f"#{name}-error").get_text() == f"Choose {what} from the list."
    assert page.select_one("#filters-unapplied").get_text() == UNAPPLIED_ONE.format(label=_label(page, name))
