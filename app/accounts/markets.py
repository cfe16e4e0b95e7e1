"""The storefront's markets: the account's country decides which one it buys in. The catalog
prices by market, and app.connections routes each market to the Partner Center connection that
serves it."""
from __future__ import annotations

# Market (ISO 3166 country code) -> the currency it is priced in.
MARKETS: dict[str, str] = {"US": "USD", "PL": "PLN"}
DEFAULT_MARKET = "US"
MARKET_NAMES = {"US": "United States", "PL": "Poland"}


def market_of_country(country: str | None) -> str:
    """The market an account of `country` buys in: its own where the storefront has one, else the default."""
    code = (country or "").upper()
    return code if code in MARKETS else DEFAULT_MARKET


def market_for(account) -> str:
    return market_of_country(getattr(account, "country", None))
