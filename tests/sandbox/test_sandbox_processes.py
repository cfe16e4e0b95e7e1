"""Several processes share one sandbox store (web workers plus an RQ worker)."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from app.sandbox import create_app

WORKER = textwrap.dedent("""
    import json, sys
    from app.sandbox import create_app
    from tests.sandbox.sandbox_support import customer_body, fetch_token, PartnerCenter, API
    from app.partner_center.routing import InProcessTransport
    import httpx

    data_dir, worker = sys.argv[1], sys.argv[2]
    app = create_app({"SANDBOX_DATA_DIR": data_dir})
    statuses = []
    with httpx.Client(transport=InProcessTransport(app)) as http:
        pc = PartnerCenter(http, fetch_token(http, app_user=False))
        shared = pc.post("/v1/customers", json=customer_body("sharedco"),
                         request_id="dddddddd-0000-0000-0000-000000000001")
        statuses.append(shared.status_code)
        for n in range(5):
            statuses.append(pc.post("/v1/customers", json=customer_body(f"proc{worker}n{n}")).status_code)
    print(json.dumps({"statuses": statuses, "shared": shared.json()["id"]}))
""")


def test_concurrent_processes_share_the_store_safely(tmp_path):
    data_dir = str(tmp_path / "shared")
    root = Path(__file__).resolve().parents[2]
    create_app({"SANDBOX_DATA_DIR": data_dir})  # seed once, as the web app would
    processes = [subprocess.Popen([sys.executable, "-c", WORKER, data_dir, str(i)], cwd=root,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for i in range(4)]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert all(r["statuses"] == [201] * 6 for r in results)
    # The same MS-RequestId from four processes created exactly one customer.
    assert len({r["shared"] for r in results}) == 1
    store = create_app({"SANDBOX_DATA_DIR": data_dir}).extensions["sandbox_store"]
    domains = [t["domain"] for t in store.documents("tenant")]
    assert domains.count("sharedco.onmicrosoft.com") == 1
    assert len([d for d in domains if d.startswith("proc")]) == 20
    assert len(store.calls(method="POST", path="/v1/customers")) == 24
