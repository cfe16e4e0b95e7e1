"""Under gunicorn's gevent worker (`flask serve`), the in-process sandbox answers a call while another
request of the same process holds its store's write lock and waits on the network: the call waits
for the lock by sleeping (a greenlet switch), not in SQLite's busy handler, which stopped the whole
process for the store's 30 s and then answered 500 "database is locked" (the storefront's orders and
seat changes then sat in Processing until a retry).

Run in a process of its own, since gevent's monkey-patching cannot be undone."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    import json, re, sys, time, gevent
    sys.path.insert(0, {root!r})
    from app.sandbox import DEFAULTS, create_app

    data_dir, scenario = sys.argv[1], sys.argv[2]
    sandbox = create_app({{"SANDBOX_DATA_DIR": data_dir, "SANDBOX_WEBHOOK_DISPATCH": "manual", "TESTING": True}})
    store = sandbox.extensions["sandbox_store"]
    tenant = DEFAULTS["SANDBOX_TENANT_ID"]
    outcome = {{}}

    def holder():  # a request that holds the store's write lock and waits on the network
        with store.tx() as tx:
            tx.set_meta("held", True)
            gevent.sleep(0.5)
        outcome["holder"] = "committed"

    acceptance = f"/Adminportal/Home?invType=ResellerRelationship&partnerId={{tenant}}"

    def accept_unknown_tenant():  # the header asks the mounting storefront, which waits on its database
        client = sandbox.test_client()
        token = re.search(r'name="sandbox_csrf" value="([^"]+)"', client.get(acceptance).get_data(as_text=True))[1]

        def may_open(path):
            gevent.sleep(2.0)
            return True

        answer = client.post(acceptance, data={{"sandbox_csrf": token, "tenantId": "no-such-tenant"}},
                             environ_base={{"sandbox.may_open": may_open}})
        outcome["page"] = [answer.status_code, "Choose the tenant you administer." in answer.get_data(as_text=True)]

    def caller():  # an API call of the same process meanwhile (the storefront's client, in-process)
        gevent.sleep(0.1 if scenario == "holder" else 1.0)
        started = time.monotonic()
        answer = sandbox.test_client().get(f"/{{tenant}}/v2.0/.well-known/openid-configuration")
        outcome["call"] = [answer.status_code, round(time.monotonic() - started, 2),
                           answer.get_json().get("description", "") if answer.status_code != 200 else ""]

    first = holder if scenario == "holder" else accept_unknown_tenant
    gevent.joinall([gevent.spawn(first), gevent.spawn(caller)])
    print(json.dumps(outcome))
""")


def _run(tmp_path, scenario: str) -> dict:
    script = tmp_path / "lock_wait.py"
    script.write_text(SCRIPT.format(root=ROOT))
    try:
        done = subprocess.run([sys.executable, str(script), str(tmp_path / "sandbox"), scenario],
                              capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        raise AssertionError("the sandbox call had no answer after 20 s: the whole process stopped waiting "
                             "for the store's lock inside SQLite") from None
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_call_waits_for_the_lock_that_a_request_of_the_same_process_holds_and_answers(tmp_path):
    outcome = _run(tmp_path, "holder")
    status, seconds, problem = outcome["call"]
    assert (status, problem) == (200, "") and seconds < 3
    assert outcome["holder"] == "committed"


def test_a_refused_acceptance_holds_no_lock_while_its_page_asks_who_may_open_what(tmp_path):
    """The acceptance page's answer to an unknown tenant is rendered after its transaction: its header
    asks the mounting storefront, whose check may wait on the storefront's own database."""
    outcome = _run(tmp_path, "acceptance")
    assert outcome["page"] == [400, True]
    status, seconds, problem = outcome["call"]
    assert (status, problem) == (200, "") and seconds < 0.5
