"""Which Partner Center the storefront talks to, and one client per configured instance.

Sandbox mode (the default): the instance named "default" is answered by the built-in sandbox. The
sandbox runs in-process (its WSGI app is called through an httpx transport, and mounted at
/sandbox for browsers), or standalone at PARTNER_CENTER_SANDBOX_URL. MSAL and the client run
unmodified either way; only their transports differ. Each connection the operator adds in admin is
answered by a sandbox of its own (its own partner tenant, credentials and store, mounted at
/sandboxes/<name>), so several instances and clouds can be tried, and tested, end to end.

Which instance serves what (`connection_for`): an account pinned to a connection is served by it;
otherwise its market's connection (admin > Partner Center > Markets); otherwise the default one.

Live mode: the connections the operator configured in admin, with secrets decrypted here. A
request that names no connection is served by the rule in `default_instance_name` (the only
connection, or the one marked default), whatever the connections are called. Rotated App+User
refresh tokens are saved back to their connection, encrypted.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime

import httpx
from flask import Flask, current_app

from app.connections.consent import MfaRefusalNoticer, forget_mfa_consent_needed
from app.accounts.markets import MARKET_NAMES, MARKETS, market_for
from app.connections.models import (PartnerCenterInstance, PartnerCenterMarket, PartnerCenterWebhook,
                                    PartnerCenterWebhookEvent)
from app.extensions import db
from app.mail import maildir_path
from app.time import naive_utc, utcnow
from app.partner_center import (HostRewriteTransport, InProcessTransport, InstanceConfig, MsalHttpClient,
                                PartnerCenterClient)
from app.partner_center.clouds import get_cloud
from app.web.secrets import decrypt, encrypt, reencrypt

log = logging.getLogger(__name__)

SANDBOX_INSTANCE = "default"  # sandbox mode's single instance; the name is only a label there
# What tenants, orders and subscriptions hold when no connection was chosen for them (the column
# default): in live mode it means "the default connection", unless a connection has that name.
UNCHOSEN = "default"
SANDBOX_MOUNT = "/sandbox"
CONNECTION_SANDBOXES_MOUNT = "/sandboxes"  # + /<connection name>: the sandbox of an added connection

_lock = threading.RLock()  # re-entrant: get_client builds the sandbox under it


class UnknownInstance(LookupError):
    pass


def sandbox_mode(app: Flask | None = None) -> bool:
    return (app or current_app).config["PARTNER_CENTER_MODE"] == "sandbox"


def sandbox_settings(app: Flask) -> dict:
    """The sandbox's settings as the storefront sees them (environment first, then its defaults)."""
    from app.sandbox.config import load_config

    overrides = {
        "SANDBOX_DATA_DIR": os.environ.get("SANDBOX_DATA_DIR") or os.path.join(app.instance_path, "sandbox"),
        "SANDBOX_PUBLIC_URL": app.config["PUBLIC_URL"].rstrip("/") + SANDBOX_MOUNT,
        # What the embedded mail server of `flask serve` received, for the sandbox's mailbox page.
        "SANDBOX_MAILDIR": maildir_path(app.instance_path),
    }
    if app.testing and "SANDBOX_WEBHOOK_DISPATCH" not in os.environ:
        # Tests deliver the sandbox's webhook events when they choose (Dispatcher.flush), in their own
        # thread: the sessions of a rolled-back test live on one connection.
        overrides["SANDBOX_WEBHOOK_DISPATCH"] = "manual"
    overrides.update(app.config.get("SANDBOX_CONFIG") or {})
    return load_config(overrides)


class StorefrontLoopback(httpx.BaseTransport):
    """Where the in-process sandbox's webhook deliveries go: a delivery to this storefront's own
    PUBLIC_URL is handed to its WSGI app in this process (as a server would, minus the socket), so
    it works in tests and wherever the process cannot reach its own public address; any other URL
    goes over the network."""

    def __init__(self, app: Flask):
        self.app = app
        self._local = InProcessTransport(app)
        self._network = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        base = httpx.URL(self.app.config["PUBLIC_URL"])
        same = (request.url.scheme, request.url.host, request.url.port) == (base.scheme, base.host, base.port)
        return (self._local if same else self._network).handle_request(request)


def in_process_sandbox(app: Flask):
    """The in-process sandbox WSGI app of this storefront process (built once, on first use)."""
    sandbox = app.extensions.get("partner_center_sandbox")
    if sandbox is None:
        with _lock:
            sandbox = app.extensions.get("partner_center_sandbox")
            if sandbox is None:
                from app.sandbox import create_app as create_sandbox

                sandbox = create_sandbox({**sandbox_settings(app), "SANDBOX_WEBHOOK_TRANSPORT": StorefrontLoopback(app)})
                app.extensions["partner_center_sandbox"] = sandbox
    return sandbox


def warm_for_work_horses(app: Flask) -> None:
    """Build, once in the worker's parent process, what each job would otherwise build again in its
    work horse (RQ forks one per job): in sandbox mode with the sandbox in-process, the sandbox app and
    the client with its tokens (about 0.4 s a job on this machine). Nothing built here holds a socket
    (the sandbox is called in-process), so the forked horses inherit it safely; a live client is left
    to each horse, whose connections must not be shared across a fork."""
    if not sandbox_mode(app) or app.config.get("PARTNER_CENTER_SANDBOX_URL"):
        return
    from app.partner_center import APP, APP_USER, PARTNER_CENTER_SCOPE

    with app.app_context():
        client = get_client()
        for kind in (APP, APP_USER):
            try:
                client.tokens.get_token(kind, PARTNER_CENTER_SCOPE)
            except Exception:  # a sandbox fault or a refused consent: the jobs will say so themselves
                log.warning("could not warm the sandbox client's %s token", kind, exc_info=True)


def partner_center_now() -> datetime:
    """Partner Center's "now" (naive UTC), to compare with the windows and dates it gave us.

    Live (and with a standalone sandbox, whose clock we cannot read): the wall clock, which is
    Partner Center's. The in-process sandbox: its own clock, which demos and tests move forward;
    asking its store is a local SQLite read, cheap enough for a page view.
    """
    app = current_app._get_current_object()
    if sandbox_mode(app) and not app.config.get("PARTNER_CENTER_SANDBOX_URL"):
        try:
            return naive_utc(in_process_sandbox(app).extensions["sandbox_store"].now())
        except Exception:  # the sandbox store unreadable: the wall clock is the best guess
            log.warning("could not read the sandbox clock", exc_info=True)
    return utcnow()


def sandbox_url(app: Flask | None = None) -> str:
    """Where a person's browser reaches the sandbox pages."""
    app = app or current_app
    return app.config.get("PARTNER_CENTER_SANDBOX_URL") or app.config["PUBLIC_URL"].rstrip("/") + SANDBOX_MOUNT


def instance_names() -> list[str]:
    added = list(db.session.scalars(db.select(PartnerCenterInstance.name).order_by(PartnerCenterInstance.name)))
    if sandbox_mode():
        return [SANDBOX_INSTANCE, *(name for name in added if name != SANDBOX_INSTANCE)]
    return added


class RetiredCloud(ValueError):
    """A connection to a cloud Microsoft closed (Microsoft Cloud Deutschland) is refused."""


def check_cloud(cloud: str) -> None:
    """Refuse a retired cloud with the reason (ValueError for an unknown one)."""
    if get_cloud(cloud).retired:
        raise RetiredCloud(RETIRED_REASON)


# Microsoft Cloud Deutschland closed on 29 October 2021; its customers moved to the public cloud's
# German datacenter regions, which the public cloud's Partner Center serves.
RETIRED_REASON = ("Microsoft Cloud Deutschland was retired on 29 October 2021 and has no Partner Center any more; "
                  "German customers are served by the public cloud (choose Public (worldwide)).")


def connection_for(account=None, *, market: str | None = None) -> str:
    """The connection that serves `account` (or, without one, `market`): the account's pinned connection,
    else the one its market is assigned to, else the default connection. Checkout, the catalog, the
    authorization watch, provisioning and the tools ask here; an order, tenant or subscription then
    keeps the connection it was made with."""
    if account is not None and getattr(account, "partner_center_connection", None):
        return account.partner_center_connection
    if market is None and account is not None:
        market = market_for(account)
    if market:
        assigned = db.session.get(PartnerCenterMarket, market.upper())
        if assigned is not None:
            return assigned.connection
    return default_instance_name()


def market_connections() -> dict[str, str]:
    """Market -> its assigned connection (markets not listed are served by the default one)."""
    return dict(db.session.execute(db.select(PartnerCenterMarket.market, PartnerCenterMarket.connection)).all())


def assign_markets(assignments: dict[str, str | None]) -> None:
    """Assign each market to a connection (None or "": back to the default connection)."""
    known = set(instance_names())
    for market, name in assignments.items():
        if market not in MARKETS:
            raise ValueError(f"{market} is not a storefront market.")
        row = db.session.get(PartnerCenterMarket, market)
        if not name:
            if row is not None:
                db.session.delete(row)
            continue
        if name not in known:
            raise UnknownInstance(f"No Partner Center connection is named {name!r}.")
        if row is None:
            db.session.add(PartnerCenterMarket(market=market, connection=name))
        else:
            row.connection = name
    db.session.flush()


def default_instance_name() -> str:
    """The connection that serves a request naming none: in sandbox mode the built-in sandbox; live,
    the only connection, or else the one marked default in Settings > Partner Center."""
    if sandbox_mode():
        return SANDBOX_INSTANCE
    rows = db.session.execute(db.select(PartnerCenterInstance.name, PartnerCenterInstance.is_default)
                              .order_by(PartnerCenterInstance.name)).all()
    if not rows:
        raise UnknownInstance("No Partner Center connection is configured (Settings > Partner Center).")
    if len(rows) == 1:
        return rows[0].name
    marked = [row.name for row in rows if row.is_default]
    if not marked:
        raise UnknownInstance("Several Partner Center connections are configured and none is the default one: "
                              "mark one as the default in Settings > Partner Center.")
    return marked[0]


def _row(name: str | None) -> PartnerCenterInstance:
    if name is None:
        name = default_instance_name()
    row = db.session.scalar(db.select(PartnerCenterInstance).where(PartnerCenterInstance.name == name))
    if row is None and name == UNCHOSEN:
        row = _row(None)
    if row is None:
        raise UnknownInstance(f"No Partner Center instance named {name!r} is configured (Settings > Partner Center).")
    return row


def instance_config(name: str | None = None) -> InstanceConfig:
    """The settings of a connection; without a name, of the default one."""
    app = current_app._get_current_object()
    if sandbox_mode(app):
        if name not in (None, SANDBOX_INSTANCE):
            return _config_of(_row(name), app, sandbox=True)
        s = sandbox_settings(app)
        return InstanceConfig(name=SANDBOX_INSTANCE, tenant_id=s["SANDBOX_TENANT_ID"], client_id=s["SANDBOX_CLIENT_ID"],
                              client_secret=s["SANDBOX_CLIENT_SECRET"], refresh_token=s["SANDBOX_REFRESH_TOKEN"],
                              # GDAP approval links open the sandbox's admin center page, not Microsoft's.
                              **{"admin_center_url": sandbox_url(app),
                                 **app.config.get("PARTNER_CENTER_CLIENT_OPTIONS", {})})
    return _config_of(_row(name), app)


def _config_of(row: PartnerCenterInstance, app: Flask, *, sandbox: bool = False) -> InstanceConfig:
    newest = row.rotated_refresh_token_encrypted or row.refresh_token_encrypted
    refresh_token = decrypt(newest) if newest else None
    extra = dict(app.config.get("PARTNER_CENTER_CLIENT_OPTIONS", {}))
    if sandbox:
        # An added connection's own sandbox accepts what the operator entered; without a refresh token
        # it takes the sandbox's, so App+User calls work there too. Approval links open its pages.
        refresh_token = refresh_token or sandbox_settings(app)["SANDBOX_REFRESH_TOKEN"]
        extra.setdefault("admin_center_url", connection_sandbox_url(row.name, app))
    return InstanceConfig(name=row.name, cloud=row.cloud, tenant_id=row.tenant_id, client_id=row.client_id,
                          client_secret=decrypt(row.client_secret_encrypted), refresh_token=refresh_token, **extra)


def connection_sandbox_url(name: str, app: Flask | None = None) -> str:
    """Where a browser reaches the pages of an added connection's sandbox (sandbox mode)."""
    app = app or current_app
    return f"{app.config['PUBLIC_URL'].rstrip('/')}{CONNECTION_SANDBOXES_MOUNT}/{name}"


def connection_sandbox(app: Flask, name: str):
    """The in-process sandbox that answers the added connection `name` in sandbox mode: a partner tenant of
    its own (the connection's tenant id and credentials), its own store under the sandbox's data folder,
    seeded with the reseller network only. Rebuilt when the operator changes the connection's credentials.
    Raises UnknownInstance for a name no connection has."""
    row = db.session.scalar(db.select(PartnerCenterInstance).where(PartnerCenterInstance.name == name))
    if row is None or name == SANDBOX_INSTANCE:
        raise UnknownInstance(f"No Partner Center connection is named {name!r}.")
    config = _config_of(row, app, sandbox=True)
    base = sandbox_settings(app)
    data_dir = os.path.join(str(base["SANDBOX_DATA_DIR"]), "connections", name)
    key = (name, row.cloud, config.tenant_id, config.client_id, config.client_secret, row.refresh_token_encrypted,
           data_dir)
    sandboxes: dict = app.extensions.setdefault("partner_center_connection_sandboxes", {})
    with _lock:
        sandbox = sandboxes.get(key)
        if sandbox is None:
            from app.sandbox import create_app as create_sandbox

            settings = {**base, "SANDBOX_TENANT_ID": config.tenant_id, "SANDBOX_CLIENT_ID": config.client_id,
                        "SANDBOX_CLIENT_SECRET": config.client_secret, "SANDBOX_REFRESH_TOKEN": config.refresh_token,
                        "SANDBOX_DATA_DIR": data_dir,
                        "SANDBOX_PUBLIC_URL": connection_sandbox_url(name, app), "SANDBOX_SEED": "network",
                        "SANDBOX_CLOUD": row.cloud,
                        "SANDBOX_WEBHOOK_TRANSPORT": StorefrontLoopback(app)}
            for old_key in [k for k in sandboxes if k[0] == name]:
                sandboxes.pop(old_key)
            sandbox = sandboxes[key] = create_sandbox(settings)
    return sandbox


def build_client(config: InstanceConfig, app: Flask | None = None) -> PartnerCenterClient:
    app = app or current_app._get_current_object()
    if not sandbox_mode(app):
        # Tests point live connections at standalone sandboxes ({connection name: base URL}), reached as
        # Microsoft would be; set through create_app's config only, never from the environment.
        route_to = (app.config.get("PARTNER_CENTER_LIVE_ROUTE_TO") or {}).get(config.name)
        if route_to:
            return _routed_to(config, route_to)
        return PartnerCenterClient(config)
    if config.name != SANDBOX_INSTANCE:
        transport = InProcessTransport(connection_sandbox(app, config.name))
        return PartnerCenterClient(config, transport=transport, msal_http_client=MsalHttpClient(transport))
    standalone = app.config.get("PARTNER_CENTER_SANDBOX_URL")
    if standalone:
        return _routed_to(config, standalone)
    transport = InProcessTransport(in_process_sandbox(app))
    return PartnerCenterClient(config, transport=transport, msal_http_client=MsalHttpClient(transport))


def _routed_to(config: InstanceConfig, base_url: str) -> PartnerCenterClient:
    """A client whose calls to Microsoft's hosts, MSAL's included, go to a sandbox at `base_url`."""
    return PartnerCenterClient(config, transport=HostRewriteTransport(base_url),
                               msal_http_client=MsalHttpClient(HostRewriteTransport(base_url)))


def get_client(name: str | None = None) -> PartnerCenterClient:
    """The client of a connection (without a name, of the default one), shared by this process: it is
    thread-safe and caches its tokens.

    A client is rebuilt when what the operator entered changes (secret, ids, refresh token), not
    when a refresh token it rotated itself, or another process rotated, is saved back.
    """
    app = current_app._get_current_object()
    options = tuple(sorted((app.config.get("PARTNER_CENTER_CLIENT_OPTIONS") or {}).items()))
    if sandbox_mode(app) and name in (None, SANDBOX_INSTANCE):
        config = instance_config(name)
        entered = config.refresh_token
    elif sandbox_mode(app):
        row = _row(name)
        config, entered = _config_of(row, app, sandbox=True), row.refresh_token_encrypted
    else:
        row = _row(name)
        config = _config_of(row, app)
        entered = row.refresh_token_encrypted
    clients: dict = app.extensions.setdefault("partner_center_clients", {})
    key = (config.name, config.tenant_id, config.client_id, config.client_secret, entered, config.cloud, options)
    with _lock:
        client = clients.get(key)
        if client is None:
            for old_key in [k for k in clients if k[0] == config.name]:
                clients.pop(old_key).close()
            client = clients[key] = build_client(config, app)
            client.tokens.on_mfa_required = MfaRefusalNoticer(app, config.name)
            if config.name != SANDBOX_INSTANCE or not sandbox_mode(app):
                client.tokens.on_refresh_token = _RotatedTokenSaver(app, config.name, entered)
    return client


@dataclass(frozen=True)
class _RotatedTokenSaver:
    """Saves a refresh token Entra rotated back to its connection row.

    It runs inside a Partner Center call, so it writes in a session of its own (a nested app
    context), never committing or rolling back the caller's work. If that fails (with SQLite, the
    caller may hold the write lock for a few seconds), the old token stays valid and the next
    rotation saves again.
    """

    app: Flask
    name: str
    entered: str | None  # the operator's token it rotates from; a newer entry in admin wins

    def __call__(self, token: str) -> None:
        try:
            with self.app.app_context():
                row = db.session.scalar(db.select(PartnerCenterInstance).where(PartnerCenterInstance.name == self.name))
                if row is not None and row.refresh_token_encrypted == self.entered:
                    row.rotated_refresh_token_encrypted = encrypt(token)
                    db.session.commit()
        except Exception:
            log.warning("could not save the rotated refresh token of Partner Center connection %s", self.name,
                        exc_info=True)


def save_instance(*, name: str, cloud: str, tenant_id: str, client_id: str, client_secret: str | None,
                  refresh_token: str | None, make_default: bool = False) -> PartnerCenterInstance:
    """Create or update a live instance; a blank secret or refresh token keeps the stored one.

    `make_default` moves the default to this connection. Adding a second connection to one that
    served alone marks that first one as the default, so requests keep going where they went.
    """
    check_cloud(cloud)
    if sandbox_mode() and name == SANDBOX_INSTANCE:
        raise ValueError(f"{SANDBOX_INSTANCE!r} is the built-in sandbox's name: choose another.")
    row = db.session.scalar(db.select(PartnerCenterInstance).where(PartnerCenterInstance.name == name))
    if row is None:
        if not client_secret:
            raise ValueError("A new instance needs its client secret.")
        row = PartnerCenterInstance(name=name, is_default=False)
        db.session.add(row)
    row.cloud, row.tenant_id, row.client_id = cloud, tenant_id.strip().lower(), client_id.strip().lower()
    if client_secret:
        row.client_secret_encrypted = encrypt(client_secret)
    if refresh_token:
        row.refresh_token_encrypted = encrypt(refresh_token)
        row.rotated_refresh_token_encrypted = None
        forget_mfa_consent_needed(name)  # a new consent; the next App+User call or check tells
    others = db.session.scalars(db.select(PartnerCenterInstance).where(PartnerCenterInstance.name != name)).all()
    if make_default:
        for other in others:
            other.is_default = False
        row.is_default = True
    elif len(others) == 1 and not row.is_default and not others[0].is_default:
        others[0].is_default = True
    db.session.flush()
    return row


# The tables of other areas with a column naming the connection that made or serves a row, read through the
# metadata (this area imports none of theirs): table -> (column, one, several, only rows where). A connection one
# of them names stays: the row's next call would go to a connection that is no more. (Accounts pinned to one are
# said so; a watch that is over holds nothing.) tests/connections/test_remove_connection.py finds any new column.
NAMED_BY = {
    "accounts": ("partner_center_connection", "account is pinned to it", "accounts are pinned to it", None),
    "tenants": ("partner_center_instance", "tenant names it", "tenants name it", None),
    "orders": ("partner_center_instance", "order names it", "orders name it", None),
    "subscriptions": ("partner_center_instance", "subscription names it", "subscriptions name it", None),
    "authorization_watches": ("connection", "checkout waits on it for a customer's authorization",
                              "checkouts wait on it for a customer's authorization", ("status", "waiting")),
    "reconciliation_findings": ("partner_center_instance", "reconciliation finding names it",
                                "reconciliation findings name it", None),
    "customer_import_candidates": ("partner_center_instance", "customer found by an import names it",
                                   "customers found by an import name it", None),
    "gdap_requests": ("connection", "GDAP request was made through it", "GDAP requests were made through it", None),
    "reseller_tenant_consents": ("connection", "reseller's tenant was connected through it",
                                 "resellers' tenants were connected through it", None),
}


def holders(names: list[str]) -> dict[str, list[str]]:
    """What keeps each connection of `names` from being removed, in words ("it serves the market Poland (PL)",
    "2 orders name it"); an empty list for one nothing holds. One grouped count a table for all of them."""
    held: dict[str, list[str]] = {name: [] for name in names}
    try:
        default = default_instance_name()
    except UnknownInstance:
        default = None
    if default in held:
        held[default].append("it is the default connection: every request that names no connection goes to it")
    for market, connection in sorted(market_connections().items()):
        if connection in held:
            held[connection].append(f"it serves the market {MARKET_NAMES.get(market, market)} ({market})")
    tables = db.metadata.tables
    for table_name, (column, one, several, only) in NAMED_BY.items():
        named = tables[table_name].c[column]
        query = db.select(named, db.func.count()).where(named.in_(names)).group_by(named)
        if only is not None:
            query = query.where(tables[table_name].c[only[0]] == only[1])
        for name, count in db.session.execute(query):
            held[name].append(f"{count} {one if count == 1 else several}")
    return held


def remove_instance(name: str) -> None:
    """Remove the connection `name` (the caller checked that `holders` finds nothing, and commits), with its
    webhook registration and the events it received (Partner Center's posts to its address are refused from now on)."""
    row = db.session.scalar(db.select(PartnerCenterInstance).where(PartnerCenterInstance.name == name))
    db.session.execute(db.delete(PartnerCenterWebhookEvent).where(PartnerCenterWebhookEvent.connection == name))
    db.session.execute(db.delete(PartnerCenterWebhook).where(PartnerCenterWebhook.connection == name))
    db.session.delete(row)
    db.session.flush()
    forget_mfa_consent_needed(name)
    clients: dict = current_app.extensions.setdefault("partner_center_clients", {})
    with _lock:  # this process's client of it (another process's is never asked for again)
        for key in [key for key in clients if key[0] == name]:
            clients.pop(key).close()


def reencrypt_secrets() -> int:
    """Encrypt every stored secret again with the first key of ENCRYPTION_KEY (after adding a new key in
    front), so the older keys can then be removed. Returns how many values were re-encrypted."""
    count = 0
    for row in db.session.scalars(db.select(PartnerCenterInstance)):
        for column in ("client_secret_encrypted", "refresh_token_encrypted", "rotated_refresh_token_encrypted"):
            value = getattr(row, column)
            if value:
                setattr(row, column, reencrypt(value))
                count += 1
    db.session.flush()
    return count
