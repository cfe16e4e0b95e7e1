"""The storefront's Partner Center connections: sandbox in-process and standalone, live instances,
the `flask partner-center check` command, and the admin check that runs as a job."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from rq import SimpleWorker
from werkzeug.serving import make_server
from werkzeug.test import Client as WsgiClient

from app.connections.models import PartnerCenterInstance
from app.connections.services import get_client
from app.jobs import get_queue
from app.partner_center import PartnerIdUnknown
from app.serving import storefront_wsgi
from tests.helpers import make_app, soup, text_of


@pytest.fixture
def standalone_sandbox(tmp_path):
    """The sandbox as its own server on loopback, as `flask --app app.sandbox run` serves it."""
    from app.sandbox import create_app as create_sandbox

    sandbox = create_sandbox({"SANDBOX_DATA_DIR": str(tmp_path / "standalone-sandbox")})
    server = make_server("127.0.0.1", 0, sandbox, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield sandbox, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_check_command_in_sandbox_mode(app):
    result = app.test_cli_runner().invoke(args=["partner-center", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK   default: connected; app-only and App+User authentication work")


def test_in_process_client_reaches_the_sandbox_and_its_named_errors(app):
    client = get_client()
    assert client.get_mpn_profile("1234567").partner_name == "Adatum IT Services"
    with pytest.raises(PartnerIdUnknown) as info:
        client.get_mpn_profile("9999999")
    assert info.value.code == "3000"
    store = app.extensions["partner_center_sandbox"].extensions["sandbox_store"]
    assert [c["query"] for c in store.calls(path="/v1/profiles/mpn")][-1] == "mpnId=9999999"


def test_standalone_sandbox_by_url(database, redis_url, tmp_path, standalone_sandbox):
    sandbox, url = standalone_sandbox
    app = make_app(database[1], redis_url, tmp_path / "instance", PARTNER_CENTER_SANDBOX_URL=url)
    with app.app_context():
        assert get_client().is_domain_available("fabrikam") is False
        assert get_client().is_domain_available("a-brand-new-prefix") is True
        result = app.test_cli_runner().invoke(args=["partner-center", "check"])
    assert result.exit_code == 0, result.output
    # The calls went over HTTP to that server, not to an in-process sandbox.
    store = sandbox.extensions["sandbox_store"]
    assert store.calls(method="HEAD", path="/v1/domains/fabrikam.onmicrosoft.com")
    assert "partner_center_sandbox" not in app.extensions
    # And nothing is mounted at /sandbox in this mode.
    assert storefront_wsgi(app) is app


def test_check_command_says_in_plain_words_when_the_secret_is_wrong(database, redis_url, tmp_path,
                                                                     standalone_sandbox):
    _, url = standalone_sandbox
    app = make_app(database[1], redis_url, tmp_path / "instance", PARTNER_CENTER_SANDBOX_URL=url,
                   SANDBOX_CONFIG={"SANDBOX_CLIENT_SECRET": "not-the-secret"})
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["partner-center", "check"])
    assert result.exit_code == 1
    assert result.output.startswith("FAIL")
    assert "default" in result.output and "invalid_client" in result.output


def test_check_command_says_when_partner_center_is_unreachable(database, redis_url, tmp_path):
    app = make_app(database[1], redis_url, tmp_path / "instance", PARTNER_CENTER_SANDBOX_URL="http://127.0.0.1:9",
                   PARTNER_CENTER_CLIENT_OPTIONS={"max_attempts": 1, "timeout": 2, "connect_timeout": 1})
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["partner-center", "check"])
    assert result.exit_code == 1 and result.output.startswith("FAIL")
    assert "reach" in result.output.lower()


def test_check_command_names_an_unknown_instance(app):
    result = app.test_cli_runner().invoke(args=["partner-center", "check", "--instance", "emea"])
    assert result.exit_code != 0 and "No Partner Center instance named 'emea' is configured" in result.output


def test_sandbox_pages_are_mounted_beside_the_storefront(app):
    web = WsgiClient(storefront_wsgi(app))
    # The overview lists every account's tenants, so it asks for an operator's sign-in; what it shows
    # then is in tests/web/test_sandbox_gate.py.
    overview = web.get("/sandbox/")
    assert overview.status_code == 302 and overview.headers["Location"] == "/sign-in?next=/sandbox/"
    assert web.get("/sign-in").status_code == 200


def test_relationship_link_points_at_the_mounted_sandbox_page(app):
    link = get_client().get_relationship_request(indirect_reseller_id="5b2c7a10-6f1e-4d3a-9b8c-2a1d0e9f8c71").url
    assert link.startswith("http://127.0.0.1:5000/sandbox/Adminportal/Home?invType=IndirectResellerRelationship")
    path = link.split("http://127.0.0.1:5000", 1)[1].split("#")[0]
    page = WsgiClient(storefront_wsgi(app)).get(path)
    assert page.status_code == 200 and "Accept" in page.get_data(as_text=True)


def test_operator_checks_the_connection_from_admin(operator_client, redis):
    page = soup(operator_client.get("/admin/partner-center/"))
    assert page.select_one("h1").get_text() == "Partner Center"
    assert page.find("button", string="Check connection") is not None
    response = operator_client.post("/admin/partner-center/default/check")
    assert response.status_code == 302
    job_id = response.headers["Location"].split("check=")[1]
    pending = operator_client.get(f"/admin/partner-center/checks/{job_id}", headers={"HX-Request": "true"})
    assert pending.status_code == 200 and "Checking the connection" in text_of(pending)
    SimpleWorker([get_queue()], connection=redis).work(burst=True)
    done = operator_client.get(f"/admin/partner-center/checks/{job_id}", headers={"HX-Request": "true"})
    assert done.status_code == 286  # htmx stops polling
    assert "Connection works." in text_of(done)


def test_the_page_a_check_returns_to_shows_its_answer_once_it_ended(operator_client, redis):
    """Without JavaScript, reloading the page the check sent one back to said "Checking the connection…"
    for ever; only its link showed the answer."""
    job_id = operator_client.post("/admin/partner-center/default/check").headers["Location"].split("check=")[1]
    waiting = soup(operator_client.get(f"/admin/partner-center/?check={job_id}")).select_one("#check-status")
    assert "Checking the connection…" in waiting.get_text() and waiting["hx-get"].endswith(job_id)
    SimpleWorker([get_queue()], connection=redis).work(burst=True)
    done = soup(operator_client.get(f"/admin/partner-center/?check={job_id}")).select_one("#check-status")
    assert "Connection works." in done.get_text() and "Checking" not in done.get_text()
    assert not done.has_attr("hx-get")  # nothing left to poll
    # A check the queue no longer knows (or an address typed by hand) shows no status at all.
    assert soup(operator_client.get("/admin/partner-center/?check=partner-center-check-gone")).select_one(
        "#check-status") is None
    assert soup(operator_client.get("/admin/partner-center/?check=other")).select_one("#check-status") is None


def _checked(operator_client, redis) -> str:
    """Press Check connection, let the worker run it; the words of its answer."""
    job_id = operator_client.post("/admin/partner-center/default/check").headers["Location"].split("check=")[1]
    SimpleWorker([get_queue()], connection=redis).work(burst=True)
    return text_of(operator_client.get(f"/admin/partner-center/checks/{job_id}", headers={"HX-Request": "true"}))


def test_a_throttling_partner_center_is_said_at_once_with_when_to_check_again(operator_client, redis, sandbox_store):
    """Partner Center answering 429 (Retry-After 30 s): the check slept through 30 s, then 60 s, and was stopped
    at its 2 minutes, so the operator watched "Checking the connection…" and then read "The check could not
    run. The worker log has the details." A person waits on this check: it asks once and says what it got."""
    sandbox_store.inject_fault("GET", "/v1/countryvalidationrules", "throttle", count=10, retry_after=30)
    answer = _checked(operator_client, redis)
    assert "Connection failed." in answer
    assert "Partner Center is throttling this partner (reading the US country rules)" in answer
    assert "Check the connection again in 30 seconds; orders and other jobs wait and try again by themselves." in answer
    assert len(sandbox_store.calls(method="GET", path="/v1/countryvalidationrules/US")) == 1


def test_partner_center_failing_says_what_to_do_next(operator_client, redis, sandbox_store):
    sandbox_store.inject_fault("GET", "/v1/countryvalidationrules", "error", count=10)
    answer = _checked(operator_client, redis)
    assert "Partner Center answers with server errors (reading the US country rules, HTTP 500)" in answer
    assert ("The trouble is on Microsoft's side: orders and other jobs try again by themselves. Check the "
            "connection again in a few minutes.") in answer
    # In sandbox mode nothing else answers so: the sandbox's own faults do.
    assert "In sandbox mode, a fault set on the sandbox controls answers like this." in answer


def test_a_check_no_worker_takes_says_so(operator_client, redis):
    """With the worker stopped, the check said "Checking the connection…" for as long as one watched."""
    from rq.job import Job

    from app.time import utcnow

    job_id = operator_client.post("/admin/partner-center/default/check").headers["Location"].split("check=")[1]
    fresh = text_of(operator_client.get(f"/admin/partner-center/checks/{job_id}", headers={"HX-Request": "true"}))
    assert "Checking the connection…" in fresh and "worker" not in fresh
    job = Job.fetch(job_id, connection=redis)
    job.enqueued_at = utcnow() - timedelta(minutes=1)  # a minute later, still nobody has taken it
    job.save()
    for page in (operator_client.get(f"/admin/partner-center/checks/{job_id}", headers={"HX-Request": "true"}),
                 operator_client.get(f"/admin/partner-center/?check={job_id}")):
        status = soup(page).select_one("#check-status")
        assert ("The check has waited 1 minute for the storefront's worker, which runs it: the worker may be "
                "stopped. It runs as soon as the worker is back.") in " ".join(status.get_text(" ").split())
        assert status.has_attr("hx-get")  # still watched
    SimpleWorker([get_queue()], connection=redis).work(burst=True)
    assert "Connection works." in text_of(
        operator_client.get(f"/admin/partner-center/checks/{job_id}", headers={"HX-Request": "true"}))


def test_check_connection_pressed_again_while_a_check_runs_starts_no_second_one_and_says_so(operator_client, redis):
    """A second press (a double click, or an impatient one) while the first check waits or runs: the same check is
    followed, and the page says why no new one started; once it has ended, a press starts a new one."""
    from rq.job import Job, JobStatus

    first = operator_client.post("/admin/partner-center/default/check")
    job_id = first.headers["Location"].split("check=")[1]
    assert "already running" not in text_of(operator_client.get(first.headers["Location"]))
    get_queue().remove(job_id)  # the worker has taken it and runs it
    Job.fetch(job_id, connection=redis).set_status(JobStatus.STARTED)
    again = operator_client.post("/admin/partner-center/default/check")
    assert again.headers["Location"] == first.headers["Location"] and len(get_queue()) == 0
    page = soup(operator_client.get(again.headers["Location"]))
    assert [a.get_text() for a in page.select("#flash-region .alert")] == [
        "A check of default is already running, so no second one was started: its answer shows below."]
    assert "Checking the connection…" in page.select_one("#check-status").get_text()
    Job.fetch(job_id, connection=redis).set_status(JobStatus.FINISHED)  # and has ended it
    after = operator_client.post("/admin/partner-center/default/check")
    assert "already running" not in text_of(operator_client.get(after.headers["Location"]))
    assert len(get_queue()) == 1  # a new check waits for the worker


def test_resellers_cannot_see_connections(reseller_client):
    assert reseller_client.get("/admin/partner-center/").status_code == 403
    assert reseller_client.post("/admin/partner-center/default/check").status_code == 403


@pytest.fixture
def live_operator(database, redis_url, tmp_path):
    from app.demo import seed_demo
    from app.extensions import db
    from tests.helpers import Client, sign_in

    app = make_app(database[1], redis_url, tmp_path / "instance", PARTNER_CENTER_MODE="live",
                   ENCRYPTION_KEY="Yt7n0ZKxOv1eM4bW3nq5pC9tQm2yH8dUe6sLr1aFgXk=")
    with app.app_context():
        seed_demo()
        c = Client(app.test_client())
        assert sign_in(c, "admin@example.com").status_code == 302
        yield app, c
        db.session.remove()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        db.engine.dispose()


def test_live_instance_secrets_are_stored_encrypted(live_operator):
    from app.connections.services import instance_config
    from app.extensions import db

    app, c = live_operator
    form = {"name": "emea", "cloud": "public", "tenant_id": "11111111-2222-3333-4444-555555555555",
            "client_id": "66666666-7777-8888-9999-000000000000", "client_secret": "very-secret-value",
            "refresh_token": "a-refresh-token"}
    assert c.post("/admin/partner-center/", form).status_code == 302
    row = db.session.scalar(db.select(PartnerCenterInstance))
    assert "very-secret-value" not in row.client_secret_encrypted
    assert instance_config("emea").client_secret == "very-secret-value"
    assert instance_config("emea").refresh_token == "a-refresh-token"
    # Saving again with a blank secret keeps the stored one.
    assert c.post("/admin/partner-center/", {**form, "client_secret": "", "refresh_token": ""}).status_code == 302
    assert instance_config("emea").client_secret == "very-secret-value"


def test_live_instance_form_explains_bad_input(live_operator):
    app, c = live_operator
    response = c.post("/admin/partner-center/", {"name": "emea", "cloud": "public", "tenant_id": "not-a-guid",
                                                 "client_id": "66666666-7777-8888-9999-000000000000",
                                                 "client_secret": ""})
    assert response.status_code == 422
    page = soup(response)
    assert "A tenant ID looks like" in page.select_one("#tenant_id-error").get_text()
    assert page.select_one("#tenant_id")["value"] == "not-a-guid"
    assert page.select_one("#client_secret-error").get_text() == "Enter the client secret of the new connection."


def test_live_connections_name_their_cloud_as_the_client_defines_it(live_operator):
    from app.connections.services import instance_config

    app, c = live_operator
    page = soup(c.get("/admin/partner-center/"))
    assert [(o["value"], o.get_text()) for o in page.select("#cloud option")] == [
        ("public", "Public (worldwide)"), ("us_government", "US Government"), ("china_21vianet", "21Vianet (China)"),
        ("germany", "Germany (retired)")]
    form = {"name": "usgov", "cloud": "us_government", "tenant_id": "11111111-2222-3333-4444-555555555555",
            "client_id": "66666666-7777-8888-9999-000000000000", "client_secret": "very-secret-value"}
    assert c.post("/admin/partner-center/", form).status_code == 302
    row = soup(c.get("/admin/partner-center/")).select_one("#connection-usgov")
    assert [td.get_text() for td in row.select("td")][1] == "US Government"
    assert instance_config("usgov").cloud_info.authority_host == "https://login.microsoftonline.us"


def test_a_refused_connection_form_is_said_where_the_page_opens(operator_client):
    """The form is at the foot of a long page: without JavaScript the answer opens at its top."""
    response = operator_client.post("/admin/partner-center/", {"name": "emea west", "cloud": "public",
                                                               "tenant_id": "xyz"})
    assert response.status_code == 422
    page = soup(response)
    problem = page.select_one("#connection-problem")
    assert problem.get_text(" ", strip=True) == ("Nothing was saved: check the fields marked in Add or update a "
                                                 "connection below.")
    assert problem.find_previous("h1").get_text() == "Partner Center"
    assert problem.find_next("h2").get_text() == "Connections"  # above everything else of the page
    assert problem.select_one("a")["href"] == "#add-heading"
    assert soup(operator_client.get("/admin/partner-center/")).select_one("#connection-problem") is None


def test_the_add_form_points_up_to_markets_and_says_how_to_change_a_connection(operator_client):
    """Markets come before the form on the page: its words send the operator up there, not "below"; and a
    connection is changed by saving its name again, which the form says."""
    page = soup(operator_client.get("/admin/partner-center/"))
    intro = page.select_one("#add-heading").find_next("p")
    words = " ".join(intro.get_text().split())
    assert "below" not in words
    assert "Assign it a market under Markets above to try several instances and clouds end to end." in words
    assert intro.select_one("a[href='#markets-heading']").get_text() == "Markets"
    assert ("To change a connection, save it again under its name: a blank client secret or refresh token keeps "
            "the stored one.") in words


def test_markets_name_the_menu_an_account_is_pinned_from(operator_client):
    """Markets sent the operator to "admin > Accounts", a menu that does not exist; the menu reads Partners >
    Accounts."""
    page = soup(operator_client.get("/admin/partner-center/"))
    words = " ".join(page.select_one("#markets-heading").find_next("p").get_text().split())
    assert "An account pinned to a connection (on its page under Partners > Accounts)" in words
    assert "admin >" not in words
    nav = page.select_one("nav[aria-label=Main]")
    assert nav.find("a", string="Accounts") is not None or "Accounts" in nav.get_text()


def test_a_webhook_registration_partner_center_failed_says_so_and_what_to_do(operator_client, redis, sandbox_store):
    """Partner Center answering 500: the Webhooks row read "Failed: Partner Center refused the registration: GET
    /webhooks/v1/registration/events HTTP 500 code 800003: Unexpected service error. Please retry. (MS-RequestId
    …)": nothing was refused, and nothing said what to do."""
    sandbox_store.inject_fault("*", "/webhooks/", "error", count=50)
    operator_client.post("/admin/partner-center/default/webhooks")
    SimpleWorker([get_queue()], connection=redis).work(burst=True)
    row = soup(operator_client.get("/admin/partner-center/")).select_one(".webhook-status")
    status = " ".join(row.get_text().split())
    assert status.startswith(
        "Failed: Partner Center did not answer the registration (HTTP 500, a problem on Microsoft's side). Press "
        "Register again in a few minutes; checks by polling go on meanwhile. For Microsoft support: MS-RequestId ")
    assert "refused" not in status and "Unexpected service error" not in status
