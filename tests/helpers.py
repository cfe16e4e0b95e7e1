"""Test helpers shared by the suite: a CSRF-aware client and HTML reading by selector."""
from __future__ import annotations

import re

from bs4 import BeautifulSoup

from app import create_app


class Client:
    """A test client that behaves like a browser with CSRF on: it reads the token from the page."""

    def __init__(self, flask_client):
        self.http = flask_client
        self.csrf_token: str | None = None

    def _fresh_context(self):
        # Each request gets its own app context (and so its own `g` and database session), as in
        # a server; otherwise requests would share the test's context and Flask-WTF's cached token.
        return self.http.application.app_context()

    def get(self, url, **kw):
        with self._fresh_context():
            response = self.http.get(url, **kw)
        self._remember_token(response)
        return response

    def post(self, url, data=None, *, csrf=True, htmx=False, headers=None, **kw):
        data = dict(data or {})
        headers = dict(headers or {})
        if csrf:
            if self.csrf_token is None:
                self.get(url if kw.get("token_from") is None else kw.pop("token_from"))
            data.setdefault("csrf_token", self.csrf_token)
        if htmx:
            headers["HX-Request"] = "true"
        with self._fresh_context():
            response = self.http.post(url, data=data, headers=headers, **kw)
        self._remember_token(response)
        return response

    def event_stream(self, url, *, until) -> str:
        """Read the server-sent events at `url` until `until(text so far)` holds; the text read."""
        with self._fresh_context():
            response = self.http.get(url, buffered=False)
            assert response.mimetype == "text/event-stream", response.mimetype
            received = ""
            try:
                for chunk in response.response:
                    received += chunk.decode() if isinstance(chunk, bytes) else chunk
                    if until(received):
                        break
            finally:
                response.close()
        return received

    def _remember_token(self, response):
        if response.mimetype == "text/html":
            match = re.search(r'<meta name="csrf-token" content="([^"]+)"', response.get_data(as_text=True))
            if match:
                self.csrf_token = match.group(1)


def sign_in(client: Client, email: str, password: str = "demo-password", **extra):
    client.get("/sign-in")
    return client.post("/sign-in", {"email": email, "password": password, **extra})


def signed_in(app, email: str, password: str = "demo-password") -> Client:
    """A new browser of `app`, signed in as `email`."""
    client = Client(app.test_client())
    assert sign_in(client, email, password).status_code == 302, f"{email} could not sign in"
    return client


def soup(response) -> BeautifulSoup:
    """The answer as a person's browser ends up with it: a <template> in an htmx answer carries
    out-of-band elements (htmx swaps them in and drops the template), so its content is read as if
    it stood in the template's place (soupsieve does not look into templates)."""
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    if page.find("template") is None:
        return page
    for template in page.find_all("template"):
        template.unwrap()
    # Read again: text that stood in a template stays a TemplateString, which get_text() leaves out.
    return BeautifulSoup(str(page), "html.parser")


def refused(response, errors: dict[str, str], kept: dict[str, str] | None = None) -> BeautifulSoup:
    """Assert a form was refused as every form here refuses: 422, each field's message next to it
    (`#<field>-error`), and what was typed kept in its field (`#<field>`'s value); the page."""
    assert response.status_code == 422, response.status_code
    page = soup(response)
    for field, message in errors.items():
        assert page.select_one(f"#{field}-error").get_text() == message, field
    for field, value in (kept or {}).items():
        assert page.select_one(f"#{field}")["value"] == value, field
    return page


def text_of(response) -> str:
    return " ".join(soup(response).get_text(" ").split())


def make_app(url: str, redis_url: str, instance_path, **overrides):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret",
        "SERVER_NAME": None,
        "RQ_QUEUE": "storefront-test",
    }
    config["INSTANCE_PATH"] = str(instance_path)
    config.update(overrides)
    return create_app(config)


def asks_first(client: Client, *, page: str, form: str, action: str, heading: str, confirm: str, button: str,
               dialog: str | None = None, dialog_start: str | None = None, way_back: str | None = None) -> None:
    """A button that asks first in both modes (app/web/confirm.py): on `page`, its `form` (a CSS selector) asks in
    an hx-confirm dialog (the text `dialog`, or beginning with `dialog_start`) and its post carries confirmed=yes;
    without JavaScript the post to `action` answers a page whose heading is `heading`, with `button` in the form
    `#confirm` and, when given, `way_back` beside it. Nothing is done: the caller checks that."""
    shown = soup(client.get(page)).select_one(form)
    if dialog is not None:
        assert shown["hx-confirm"] == dialog
    if dialog_start is not None:
        assert shown["hx-confirm"].startswith(dialog_start)
    assert shown["hx-vals"] == '{"confirmed": "yes"}'
    asked = client.post(action, {})
    assert asked.status_code == 200
    question = soup(asked)
    assert question.select_one("h1").get_text() == heading
    assert question.select_one(f"#{confirm} button").get_text() == button
    if way_back is not None:
        assert question.select_one(f"#{confirm} + a").get_text() == way_back
