"""Benchmark: import a generated 100,000-row price sheet (the documented columns) through the same
service function the catalog job uses, and print the seconds it took and the peak memory.

    .venv/bin/python bench/price_sheet_import.py [--rows 100000]

Targets (issue "Catalog, price lists and cart"): under 10 s on a 2-core machine, peak RSS under
300 MB. The CSV is written to a temporary folder and streamed from disk, as the job streams the
HTTP response, into a fresh SQLite database in the same temporary folder.
"""
from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TERMS = [("P1M", "Monthly"), ("P1Y", "Monthly"), ("P1Y", "Annual"), ("P3Y", "Monthly"), ("P3Y", "Annual"),
         ("P3Y", "Triennial")]


def write_sheet(path: str, rows: int, market: str = "US", currency: str = "USD") -> None:
    from app.catalog.price_sheet import PRICE_SHEET_COLUMNS

    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(PRICE_SHEET_COLUMNS)
        for i in range(rows):
            sku_index, combo = divmod(i, len(TERMS))
            product_index, sku_no = divmod(sku_index, 4)
            term, plan = TERMS[combo]
            erp = 5 + (product_index % 97) + sku_no * 1.25
            months = {"Monthly": 1, "Annual": 12, "Triennial": 36}[plan]
            erp_price = round(erp * (1.2 if term == "P1M" else 1) * months, 2)
            writer.writerow([
                f"Generated Product {product_index}", f"CFQ7TTB{product_index:05d}", f"{sku_no + 1:04d}",
                f"Generated Product {product_index} SKU {sku_no + 1}", "Microsoft Corporation",
                "A generated SKU for the import benchmark.", "1 License", term, plan, market, currency,
                f"{erp_price * 0.95:.2f}", "", "", "2025-01-01T00:00:00Z", "2025-01-31T23:59:59Z", "",
                f"{erp_price:.2f}"])


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    from app import create_app
    from app.extensions import db

    with tempfile.TemporaryDirectory(prefix="bench-price-sheet-") as tmp:
        url = "sqlite:///" + os.path.join(tmp, "bench.db")
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tmp, "SECRET_KEY": "bench"})
        with app.app_context():
            from app.catalog.price_sheet import import_price_sheet_file
            from app.catalog.sync import new_sync
            from app.catalog.models import PriceListEntry

            db.create_all()
            sheet = os.path.join(tmp, "pricesheet.csv")
            started = time.perf_counter()
            write_sheet(sheet, args.rows)
            generated = time.perf_counter() - started
            size_mb = os.path.getsize(sheet) / 1e6
            before = rss_mb()

            started = time.perf_counter()
            sync = import_price_sheet_file(sheet, new_sync("import"), market="US")
            first = time.perf_counter() - started
            first_status, first_problems = sync.status, len(sync.errors)
            after_first = rss_mb()
            stored = db.session.scalar(db.select(db.func.count(PriceListEntry.id)))

            started = time.perf_counter()
            again = import_price_sheet_file(sheet, new_sync("import"), market="US")
            second = time.perf_counter() - started
            again_status = again.status
            peak = rss_mb()

        print(f"database            {url.split(':')[0]}")
        print(f"rows in sheet       {args.rows:,} ({size_mb:.1f} MB, generated in {generated:.1f} s)")
        print(f"first import        {first:.2f} s  ({args.rows / first:,.0f} rows/s), {stored:,} prices stored, "
              f"status {first_status}, {first_problems} problems")
        print(f"same sheet again    {second:.2f} s  (compares every row, writes nothing), status {again_status}")
        print(f"peak RSS            {peak:.0f} MB  (before the imports: {before:.0f} MB, after the first: {after_first:.0f} MB)")
        print(f"targets             < 10 s: {'met' if max(first, second) < 10 else 'MISSED'}; "
              f"< 300 MB: {'met' if peak < 300 else 'MISSED'}")


if __name__ == "__main__":
    main()
