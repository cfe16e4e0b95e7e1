"""Catalog: products, SKUs, availabilities and the price sheet."""

from __future__ import annotations

import contextlib
import csv
from typing import Iterable, Iterator

from .clouds import PRICE_SHEET_HOST
from .errors import PartnerCenterError
from .transport import Transport
from .types import Availability, Product, Sku

__all__ = ["Catalog"]


class Catalog(Transport):
    """The catalog: ``/v1/products`` and below, and the price sheet on its own host."""

    def list_products(self, country: str, target_view: str = "OnlineServices") -> list[Product]:
        """``GET /v1/products?country={ISO2}&targetView=OnlineServices``."""
        return self._collection(
            "/products", Product.from_json, params={"country": country.upper(), "targetView": target_view}
        )

    def list_skus(self, product_id: str, country: str) -> list[Sku]:
        """``GET /v1/products/{productId}/skus?country={ISO2}``."""
        return self._collection(
            f"/products/{self._q(product_id)}/skus", Sku.from_json, params={"country": country.upper()}
        )

    def list_availabilities(self, product_id: str, sku_id: str, country: str) -> list[Availability]:
        """``GET /v1/products/{productId}/skus/{skuId}/availabilities?country={ISO2}``. Read
        ``catalog_item_id`` right before purchase: it can change."""
        return self._collection(
            f"/products/{self._q(product_id)}/skus/{self._q(sku_id)}/availabilities",
            Availability.from_json,
            params={"country": country.upper()},
        )

    @property
    def has_price_sheet(self) -> bool:
        """Whether this instance's cloud has the price sheet API; callers skip it (and say so) where not."""
        return not (self.cloud.partner_api_base is None and self.instance.price_sheet_host == PRICE_SHEET_HOST)

    def price_sheet_url(self, market: str) -> str:
        if not self.has_price_sheet:
            # The Partner API is listed for Partner Center and US Government only
            # (https://learn.microsoft.com/en-us/partner-center/developer/partner-center-rest-urls).
            raise PartnerCenterError(None, None, f"Microsoft publishes no price sheet API for {self.cloud.label}.")
        host = self.instance.price_sheet_host.rstrip("/")
        m = market.upper()
        return f"{host}/v1.0/sales/pricesheets(Market='{m}',PricesheetView='updatedlicensebased')/$value"

    @contextlib.contextmanager
    def price_sheet(self, market: str, *, timeline: str = "current") -> Iterator[Iterator[dict[str, str]]]:
        """Stream the NCE license-based price list of ``market`` (App+User):
        ``GET https://api.partner.microsoft.com/v1.0/sales/pricesheets(Market='{ISO2}',
        PricesheetView='updatedlicensebased')/$value?timeline=current``.

        A context manager yielding an iterator of rows (dicts keyed by the CSV header:
        ``ProductTitle, ProductId, SkuId, ..., UnitPrice, ...``). The body is read line by line
        and never held whole; leaving the ``with`` block closes the connection::

            with client.price_sheet("US") as rows:
                for row in rows:
                    ...
        """
        response = self._call(
            "GET",
            self.price_sheet_url(market),
            params={"timeline": timeline},
            headers={"Accept": "text/csv, application/octet-stream, */*"},
            stream=True,
        )
        try:
            yield csv.DictReader(_strip_bom(response.iter_lines()))
        finally:
            response.close()

    def iter_price_sheet(self, market: str, *, timeline: str = "current") -> Iterator[dict[str, str]]:
        """Generator form of ``price_sheet``: rows one by one; the connection closes when the
        generator is exhausted or closed."""
        with self.price_sheet(market, timeline=timeline) as rows:
            yield from rows


def _strip_bom(lines: Iterable[str]) -> Iterator[str]:
    first = True
    for line in lines:
        if first:
            line = line.lstrip("\ufeff")
            first = False
        yield line
