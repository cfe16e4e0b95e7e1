"""The stylesheet and scripts every page loads are named with a version of their content
(`/static/css/app.css?v=…`) and served to be kept for a year under that name: a browser loads them once,
not once per page (until now every page asked again for each of them and got "304 Not Modified", a round
trip each before the page's scripts could run). A changed file gets a new name, so nobody keeps an old
one; an address without the version, or with another file's, is still served but asked again each time."""
from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

YEAR = 365 * 24 * 3600


def _assets(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return ([link["href"] for link in soup.select('link[rel="stylesheet"], link[rel="icon"]')]
            + [script["src"] for script in soup.select("script[src]")])


def test_every_asset_of_a_page_is_named_with_its_version_and_kept_for_a_year(client):
    assets = _assets(client.get("/sign-in").get_data(as_text=True))
    assert len(assets) >= 5, assets
    for url in assets:
        assert re.fullmatch(r"/static/[\w./-]+\?v=[0-9a-f]{12}", url), url
        response = client.get(url)
        assert response.status_code == 200, url
        cache = response.cache_control
        assert cache.max_age == YEAR and cache.immutable and cache.public, (url, response.headers["Cache-Control"])


@pytest.mark.fresh_app  # it moves the app's static folder
def test_the_version_follows_the_files_content(app, tmp_path):
    from flask import url_for

    (tmp_path / "site.css").write_text("body { color: black; }")
    app.static_folder = str(tmp_path)
    with app.test_request_context("/"):
        first = url_for("static", filename="site.css")
    (tmp_path / "site.css").write_text("body { color: navy; }")
    app.static_versions.clear()  # what a new process (a deployment) starts with
    with app.test_request_context("/"):
        second = url_for("static", filename="site.css")
    assert first.startswith("/static/site.css?v=") and second.startswith("/static/site.css?v=")
    assert first != second


@pytest.mark.parametrize("query", ["", "?v=000000000000"])
def test_an_address_without_the_files_version_is_served_and_asked_again_each_time(client, query):
    response = client.get(f"/static/css/app.css{query}")
    assert response.status_code == 200
    assert response.cache_control.no_cache and not response.cache_control.immutable
    assert response.cache_control.max_age is None
