"""Live mode: the connection that serves a request is chosen by a rule (the only one, or the one
marked default), rotated refresh tokens are saved back encrypted, and the keys come from the
environment (several ENCRYPTION_KEY keys for rotation).

Live connections are pointed at standalone sandboxes served over HTTP on loopback, reached as
Microsoft would be (PARTNER_CENTER_LIVE_ROUTE_TO), so the client, MSAL and the storage of secrets
run as they do live.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from cryptography.fernet import Fernet
from werkzeug.serving import make_server

from app import ConfigurationError
from app.connections.models import PartnerCenterInstance
from tests.helpers import Client, make_app, sign_in, soup

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SANDBOX_CLIENT_ID = "00000000-0000-0000-0000-00000000c11e"
OTHER_TENANT_ID = "11111111-2222-3333-4444-555555555555"
KEY = Fernet.generate_key().decode()


@pytest.fixture
def standalone(tmp_path):
    """Start standalone sandboxes on loopback: start(name, **settings) -> (store, base URL)."""
    from app.sandbox import create_app as create_sandbox

    servers = []

    def start(name: str, **settings):
        sandbox = create_sandbox({"SANDBOX_DATA_DIR": str(tmp_path / f"sandbox-{name}"), **settings})
        server = make_server("127.0.0.1", 0, sandbox, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return sandbox.extensions["sandbox_store"], f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture
def live(database, redis_url, tmp_path):
    """live(**config) -> a live-mode app with the demo data, in its app context; tables emptied after."""
    from app.demo import seed_demo
    from app.extensions import db

    contexts = []

    def build(**config):
        app = make_app(database[1], redis_url, tmp_path / "instance", PARTNER_CENTER_MODE="live",
                       ENCRYPTION_KEY=KEY, **config)
        ctx = app.app_context()
        ctx.push()
        contexts.append(ctx)
        seed_demo()
        return app

    yield build
    db.session.remove()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    db.engine.dispose()
    for ctx in reversed(contexts):
        ctx.pop()


def _connect(name: str, *, tenant_id: str = "8a1f5c2e-3b7d-4e6f-9a0c-1d2e3f4a5b6c",
             refresh_token: str | None = "sandbox-refresh-token", make_default: bool = False):
    from app.connections.services import save_instance
    from app.extensions import db

    save_instance(name=name, cloud="public", tenant_id=tenant_id, client_id=SANDBOX_CLIENT_ID,
                  client_secret="sandbox-secret", refresh_token=refresh_token, make_default=make_default)
    db.session.commit()


def _domain_check(prefix: str):
    """The checkout's live domain check, for the demo direct customer."""
    from app.accounts.models import User
    from app.checkout.services import check_domain, open_draft
    from app.extensions import db

    customer = db.session.scalar(db.select(User).where(User.email == "customer@example.com"))
    draft = open_draft(customer)
    db.session.commit()
    return check_domain(draft, prefix)


def test_live_mode_serves_a_checkout_call_through_a_connection_named_emea(live, standalone):
    store, url = standalone("emea")
    live(PARTNER_CENTER_LIVE_ROUTE_TO={"emea": url})
    _connect("emea")
    check = _domain_check("fabrikam")
    assert check.status == "taken", check.message
    assert store.calls(method="HEAD", path="/v1/domains/fabrikam.onmicrosoft.com")


def test_with_two_connections_the_one_marked_default_serves(live, standalone):
    from app.connections.services import save_instance
    from app.extensions import db

    emea_store, emea_url = standalone("emea")
    us_store, us_url = standalone("us", SANDBOX_TENANT_ID=OTHER_TENANT_ID)
    live(PARTNER_CENTER_LIVE_ROUTE_TO={"emea": emea_url, "us": us_url})
    _connect("emea")
    _connect("us", tenant_id=OTHER_TENANT_ID)  # the first one, which served alone, stays the default
    assert _domain_check("firstcall").status == "available"
    assert emea_store.calls(method="HEAD", path="/v1/domains/firstcall.onmicrosoft.com")
    assert not us_store.calls(method="HEAD", path="/v1/domains/firstcall.onmicrosoft.com")

    save_instance(name="us", cloud="public", tenant_id=OTHER_TENANT_ID, client_id=SANDBOX_CLIENT_ID,
                  client_secret=None, refresh_token=None, make_default=True)
    db.session.commit()
    assert _domain_check("secondcall").status == "available"
    assert us_store.calls(method="HEAD", path="/v1/domains/secondcall.onmicrosoft.com")
    assert not emea_store.calls(method="HEAD", path="/v1/domains/secondcall.onmicrosoft.com")
    assert db.session.scalar(db.select(PartnerCenterInstance.name).where(PartnerCenterInstance.is_default)) == "us"


def test_several_connections_and_none_default_is_said_in_plain_words(live):
    from app.connections.services import UnknownInstance, get_client
    from app.extensions import db

    live()
    _connect("emea")
    _connect("us", tenant_id=OTHER_TENANT_ID)
    db.session.execute(db.update(PartnerCenterInstance).values(is_default=False))
    db.session.commit()
    with pytest.raises(UnknownInstance, match="none is the default one: mark one as the default in Settings > Partner Center"):
        get_client()


def test_records_made_before_a_connection_was_chosen_go_to_the_default_one(live, standalone):
    """Tenants, orders and subscriptions hold "default" unless a connection was chosen for them."""
    from app.connections.services import get_client

    store, url = standalone("emea")
    live(PARTNER_CENTER_LIVE_ROUTE_TO={"emea": url})
    _connect("emea")
    assert get_client("default").instance.name == "emea"
    assert get_client("default").is_domain_available("fabrikam") is False


# What the operator types in admin > Partner Center to add a connection (with "name").
CONNECTION_FORM = {"cloud": "public", "tenant_id": "8a1f5c2e-3b7d-4e6f-9a0c-1d2e3f4a5b6c", "client_id": SANDBOX_CLIENT_ID,
                   "client_secret": "sandbox-secret"}


def _operator(app) -> Client:
    c = Client(app.test_client())
    assert sign_in(c, "admin@example.com").status_code == 302
    return c


def test_the_operator_marks_the_default_connection_in_admin(live):
    c, form = _operator(live()), CONNECTION_FORM
    assert c.post("/admin/partner-center/", {**form, "name": "emea"}).status_code == 302
    assert c.post("/admin/partner-center/", {**form, "name": "us"}).status_code == 302
    page = soup(c.get("/admin/partner-center/"))
    assert page.select_one("#connection-emea .connection-role").get_text() == "Default connection"
    assert page.select_one("#connection-us .connection-role").get_text() == "Only what names it"
    assert page.select_one("#make_default") is not None

    assert c.post("/admin/partner-center/", {**form, "name": "us", "client_secret": "",
                                              "make_default": "y"}).status_code == 302
    page = soup(c.get("/admin/partner-center/"))
    assert page.select_one("#connection-us .connection-role").get_text() == "Default connection"
    assert page.select_one("#connection-emea .connection-role").get_text() == "Only what names it"


def test_a_rotated_refresh_token_is_saved_back_encrypted_and_used_after_a_restart(live, standalone, database,
                                                                                   redis_url, tmp_path):
    from app.connections.services import get_client, instance_config
    from app.extensions import db
    from app.web.secrets import decrypt

    store, url = standalone("emea", SANDBOX_ROTATE_REFRESH_TOKENS=True)
    live(PARTNER_CENTER_LIVE_ROUTE_TO={"emea": url})
    _connect("emea")
    client = get_client()
    assert client.get_mpn_profile("1234567").partner_name == "Adatum IT Services"  # an App+User call
    rotated = client.tokens.refresh_token
    assert rotated != "sandbox-refresh-token"

    db.session.expire_all()
    row = db.session.scalar(db.select(PartnerCenterInstance).where(PartnerCenterInstance.name == "emea"))
    assert row.rotated_refresh_token_encrypted and rotated not in row.rotated_refresh_token_encrypted
    assert decrypt(row.rotated_refresh_token_encrypted) == rotated
    assert decrypt(row.refresh_token_encrypted) == "sandbox-refresh-token"  # what the operator entered
    assert get_client() is client  # saving its own rotation does not rebuild the client

    # Another process (a restart, the worker) starts from the newest token, and Entra accepts it.
    restarted = make_app(database[1], redis_url, tmp_path / "other-instance", PARTNER_CENTER_MODE="live",
                         ENCRYPTION_KEY=KEY, PARTNER_CENTER_LIVE_ROUTE_TO={"emea": url})
    with restarted.app_context():
        assert instance_config("emea").refresh_token == rotated
        assert get_client().get_mpn_profile("1234567").partner_name == "Adatum IT Services"
        newer = get_client().tokens.refresh_token
    assert newer not in (rotated, "sandbox-refresh-token")
    db.session.expire_all()
    assert instance_config("emea").refresh_token == newer
    assert store.calls(method="POST", path="/8a1f5c2e-3b7d-4e6f-9a0c-1d2e3f4a5b6c/oauth2/v2.0/token", status=200)

    # A refresh token the operator enters replaces the rotated chain.
    _connect("emea", refresh_token="sandbox-refresh-token")
    db.session.expire_all()
    assert instance_config("emea").refresh_token == "sandbox-refresh-token"
    assert get_client() is not client


def test_with_single_use_refresh_tokens_only_a_storefront_that_keeps_the_rotated_one_goes_on(
        live, standalone, database, redis_url, tmp_path):
    """Entra rotates the refresh token on every use; the sandbox, told to, refuses a used one. A
    client that kept the token it started with is refused; ours stores the newest, encrypted, and a
    restarted process reading it goes on."""
    import httpx

    from app.connections.services import get_client, instance_config
    from app.partner_center import (HostRewriteTransport, InstanceConfig, MsalHttpClient, PartnerCenterAuthError,
                                    PartnerCenterClient)

    store, url = standalone("emea", SANDBOX_ROTATE_REFRESH_TOKENS=True)
    assert httpx.post(f"{url}/_sandbox/tokens", json={"singleUse": True}).json()["singleUse"] is True
    live(PARTNER_CENTER_LIVE_ROUTE_TO={"emea": url})
    _connect("emea")
    assert get_client().get_mpn_profile("1234567").partner_name == "Adatum IT Services"
    rotated = get_client().tokens.refresh_token
    assert rotated != "sandbox-refresh-token"

    # A storefront that did not store the rotated token starts again from the one entered: refused.
    forgetful = PartnerCenterClient(
        InstanceConfig(name="forgetful", tenant_id="8a1f5c2e-3b7d-4e6f-9a0c-1d2e3f4a5b6c", client_id=SANDBOX_CLIENT_ID,
                       client_secret="sandbox-secret", refresh_token="sandbox-refresh-token"),
        transport=HostRewriteTransport(url), msal_http_client=MsalHttpClient(HostRewriteTransport(url)))
    with pytest.raises(PartnerCenterAuthError) as refused:
        forgetful.get_mpn_profile("1234567")
    assert refused.value.error == "invalid_grant"

    # Ours, restarted, reads the newest token and goes on, again and again.
    for _ in range(2):
        restarted = make_app(database[1], redis_url, tmp_path / "other-instance", PARTNER_CENTER_MODE="live",
                             ENCRYPTION_KEY=KEY, PARTNER_CENTER_LIVE_ROUTE_TO={"emea": url})
        with restarted.app_context():
            newest = instance_config("emea").refresh_token
            assert newest not in ("sandbox-refresh-token",)
            assert get_client().get_mpn_profile("1234567").partner_name == "Adatum IT Services"
            assert get_client().tokens.refresh_token != newest
    assert instance_config("emea").refresh_token not in (rotated, "sandbox-refresh-token")


def test_live_mode_shows_the_secure_application_model_steps_when_mfa_is_missing(live, standalone):
    import httpx

    from app.connections.services import get_client
    from app.partner_center import MfaRequired
    from tests.helpers import Client

    store, url = standalone("emea")
    httpx.post(f"{url}/_sandbox/tokens", json={"mfa": False})
    app = live(PARTNER_CENTER_LIVE_ROUTE_TO={"emea": url})
    _connect("emea")
    with pytest.raises(MfaRequired):
        get_client().get_relationship_request()
    browser = Client(app.test_client())
    assert sign_in(browser, "admin@example.com").status_code == 302
    notice = soup(browser.get("/admin/partner-center/")).select_one("#mfa-consent-emea")
    assert "Partner Center needs a fresh consent with MFA (connection emea)" in notice.get_text()
    steps = [li.get_text() for li in notice.select("ol li")]
    assert "Admin agent" in steps[0] and "Secure Application Model consent" in steps[1]

    # The operator enters the refresh token of the new consent: the notice goes.
    httpx.post(f"{url}/_sandbox/tokens", json={"mfa": True})
    _connect("emea", refresh_token="sandbox-refresh-token")
    assert soup(browser.get("/admin/partner-center/")).select_one("#mfa-consent-emea") is None
    assert get_client().get_relationship_request().url


def test_live_mode_refuses_to_start_without_its_keys(database, redis_url, tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("ENCRYPTION_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="PARTNER_CENTER_MODE is live, and ENCRYPTION_KEY is not set"):
        make_app(database[1], redis_url, tmp_path / "instance", PARTNER_CENTER_MODE="live")
    with pytest.raises(ConfigurationError, match="SECRET_KEY and ENCRYPTION_KEY are not set"):
        make_app(database[1], redis_url, tmp_path / "instance", PARTNER_CENTER_MODE="live", SECRET_KEY=None)
    # The demo and the sandbox keep their generated keys.
    assert make_app(database[1], redis_url, tmp_path / "instance", SECRET_KEY=None).config["SECRET_KEY"]


def test_the_worker_refuses_to_start_in_live_mode_without_keys_and_names_them(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "ENCRYPTION_KEY")}
    env.update(PARTNER_CENTER_MODE="live", INSTANCE_PATH=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/x.db",
               SECRET_KEY="set-in-the-environment")
    result = subprocess.run([sys.executable, "worker.py", "--burst"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "ENCRYPTION_KEY is not set" in result.stderr
    assert not (tmp_path / "encryption_key").exists()


def test_a_malformed_encryption_key_is_named(database, redis_url, tmp_path):
    with pytest.raises(ConfigurationError, match="ENCRYPTION_KEY: key 2 of 2 is not a Fernet key"):
        make_app(database[1], redis_url, tmp_path / "instance", ENCRYPTION_KEY=f"{KEY},not-a-key")


def test_encryption_key_rotation_with_several_keys(live, database, redis_url, tmp_path):
    from app.connections.services import instance_config
    from app.extensions import db

    live()
    _connect("emea")
    new_key = Fernet.generate_key().decode()
    row = db.session.scalar(db.select(PartnerCenterInstance))
    old_ciphertext = row.client_secret_encrypted

    rotating = make_app(database[1], redis_url, tmp_path / "instance", PARTNER_CENTER_MODE="live",
                        ENCRYPTION_KEY=f"{new_key},{KEY}")
    with rotating.app_context():
        assert instance_config("emea").client_secret == "sandbox-secret"  # the old key still decrypts
        result = rotating.test_cli_runner().invoke(args=["reencrypt-secrets"])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == "2 stored secrets now encrypted with the first key."
    db.session.expire_all()
    row = db.session.scalar(db.select(PartnerCenterInstance))
    assert row.client_secret_encrypted != old_ciphertext
    assert Fernet(new_key.encode()).decrypt(row.client_secret_encrypted.encode()) == b"sandbox-secret"
    assert Fernet(new_key.encode()).decrypt(row.refresh_token_encrypted.encode()) == b"sandbox-refresh-token"

    only_new = make_app(database[1], redis_url, tmp_path / "instance", PARTNER_CENTER_MODE="live",
                        ENCRYPTION_KEY=new_key)
    with only_new.app_context():
        assert instance_config("emea").client_secret == "sandbox-secret"
    # The first key encrypts: a secret saved now needs the new key only.
    with rotating.app_context():
        _connect("apac")
        apac = db.session.scalar(db.select(PartnerCenterInstance).where(PartnerCenterInstance.name == "apac"))
        assert Fernet(new_key.encode()).decrypt(apac.client_secret_encrypted.encode()) == b"sandbox-secret"


def test_an_order_records_the_connection_that_serves_it(live, standalone):
    """Changing the default connection later never moves an order placed before."""
    from decimal import Decimal

    from app.accounts.models import User
    from app.audit.services import Origin
    from app.extensions import db
    from app.orders.placing import OrderRequest, RequestLine, place_order

    store, url = standalone("emea")
    live(PARTNER_CENTER_LIVE_ROUTE_TO={"emea": url})
    _connect("emea")
    carl = db.session.scalar(db.select(User).where(User.email == "customer@example.com"))
    order = place_order(OrderRequest(
        account_id=carl.account_id, user_id=carl.id, draft_id=None, licensee_id=None, company_name="Tailspin Toys",
        country="US", contact_first_name="Carl", contact_last_name="Customer", email="it@tailspin.example.com",
        phone=None, tenant_mode="new", domain="tailspinemea", default_domain=None, tenant_id=None,
        registration_id=None, address=None, partner_id=None, reseller_tenant_id=None, mca=None,
        lines=[RequestLine(product_id="CFQ7TTC0LH18", sku_id="0001", catalog_item_id="CFQ7TTC0LH18:0001:X",
                           product_title="M365", sku_title="M365", family="Microsoft 365", term_duration="P1Y",
                           billing_plan="monthly", quantity=1, unit_price=Decimal("6"), currency="USD")]),
        actor=carl, origin=Origin("127.0.0.1", "pytest"))
    assert order.partner_center_instance == "emea"


def test_live_mode_keeps_the_default_connection_and_removes_a_spare_one(live):
    """The default connection serves every request that names none: it stays (the page says so); another one
    nothing holds is removed (tests/connections/test_remove_connection.py: the question asked first)."""
    from app.connections.models import PartnerCenterInstance
    from app.extensions import db

    c, form = _operator(live()), CONNECTION_FORM
    assert c.post("/admin/partner-center/", {**form, "name": "emea"}).status_code == 302
    page = soup(c.get("/admin/partner-center/"))
    assert " ".join(page.select_one("#connection-emea .connection-remove").get_text().split()) == (
        "Kept: it is the default connection: every request that names no connection goes to it.")
    assert c.post("/admin/partner-center/", {**form, "name": "spare"}).status_code == 302
    assert c.post("/admin/partner-center/spare/remove", {"confirmed": "yes"}).status_code == 303
    assert c.post("/admin/partner-center/emea/remove", {"confirmed": "yes"}).status_code == 303
    names = db.session.scalars(db.select(PartnerCenterInstance.name)).all()
    assert names == ["emea"]
    page = soup(c.get("/admin/partner-center/"))
    assert "The connection emea cannot be removed: it is the default connection" in page.select_one(
        "#flash-region").get_text()
