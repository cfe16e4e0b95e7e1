"""The in-process route (InProcessTransport) gives the same answers as the standalone server reached
through HostRewriteTransport, MSAL included (MsalHttpClient over either); and the
rewriting itself."""

import dataclasses

import httpx
import pytest

from app.partner_center import (
    HostRewriteTransport,
    PartnerAgreementNotSigned,
    PartnerCenterUnavailable,
    PartnerIdUnknown,
)
from tests.partner_center.pc_support import new_customer, unique_prefix


def strip(value):
    """Compare typed results without fields that differ per call by design."""
    if isinstance(value, list):
        return [strip(v) for v in value]
    if dataclasses.is_dataclass(value):
        d = dataclasses.asdict(value)
        d.pop("raw", None)
        return d
    return value


def test_same_answers_in_process_and_over_http(pc_client, pc_inprocess, sbx_store):
    for name, call in [
        ("domain taken", lambda c: c.is_domain_available("fabrikam")),
        ("domain free", lambda c: c.is_domain_available("nobodyhasthis1")),
        ("country rules", lambda c: c.get_country_rules("PL")),
        ("address", lambda c: c.validate_address({"addressLine1": "1 main st", "city": "Redmond", "state": "WA",
                                                  "postalCode": "98052", "country": "US"})),
        ("mpn", lambda c: c.get_mpn_profile("2345678")),
        ("agreement status", lambda c: c.get_agreement_status("1234567")),
        ("resellers", lambda c: c.list_indirect_resellers()),
        ("templates", lambda c: c.list_agreement_templates()),
        ("products", lambda c: c.list_products("US")),
        ("availabilities", lambda c: c.list_availabilities("CFQ7TTC0LH18", "0001", "US")),
    ]:
        assert strip(call(pc_client)) == strip(call(pc_inprocess)), name

    for call, exc in [
        (lambda c: c.get_mpn_profile("9999999"), PartnerIdUnknown),
        (lambda c: c.get_agreement_status("3456789"), PartnerAgreementNotSigned),
    ]:
        with pytest.raises(exc) as over_http:
            call(pc_client)
        with pytest.raises(exc) as in_process:
            call(pc_inprocess)
        assert (over_http.value.status, over_http.value.code, over_http.value.description) == (
            in_process.value.status, in_process.value.code, in_process.value.description)

    # One store behind both routes: what one creates, the other sees.
    created = new_customer(pc_inprocess)
    assert pc_client.get_customer(created.id).domain == created.domain
    with pc_client.price_sheet("US") as a, pc_inprocess.price_sheet("US") as b:
        assert list(a) == list(b)


def test_in_process_slow_creation_retried_with_same_id(sbx, sbx_store):
    from app.partner_center import PartnerCenterClient
    from app.partner_center import InProcessTransport, MsalHttpClient
    from tests.partner_center.pc_support import instance

    client = PartnerCenterClient(instance(timeout=0.3, backoff_base=0.01), transport=InProcessTransport(sbx),
                                 msal_http_client=MsalHttpClient(InProcessTransport(sbx)))
    prefix = unique_prefix("slowin")
    sbx_store.inject_fault("POST", "/v1/customers", "slow", count=1, delay=0.6)
    customer = new_customer(client, prefix)
    calls = sbx_store.calls(method="POST", path="/v1/customers")
    assert len(calls) == 2 and calls[0]["requestId"] == calls[1]["requestId"]
    assert [t["id"] for t in sbx_store.documents("tenant") if t["domain"] == f"{prefix}.onmicrosoft.com"] == [customer.id]


def test_host_rewrite_keeps_path_query_and_host():
    seen = []
    inner = httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(204))
    transport = HostRewriteTransport("http://127.0.0.1:5050/prefix", transport=inner)
    with httpx.Client(transport=transport) as http:
        http.get("https://api.partner.microsoft.com/v1.0/sales/pricesheets(Market='US',PricesheetView='updatedlicensebased')/$value?timeline=current")
        http.post("https://login.microsoftonline.us/t/oauth2/v2.0/token", data={"a": "b"})
        http.get("https://example.org/keep?x=1")
    assert str(seen[0].url) == (
        "http://127.0.0.1:5050/prefix/v1.0/sales/pricesheets(Market='US',PricesheetView='updatedlicensebased')/$value?timeline=current"
    )
    assert seen[0].headers["Host"] == "api.partner.microsoft.com"
    assert str(seen[1].url) == "http://127.0.0.1:5050/prefix/t/oauth2/v2.0/token"
    assert seen[1].content == b"a=b"
    assert str(seen[2].url) == "https://example.org/keep?x=1"


def test_host_rewrite_without_preserving_host():
    seen = []
    transport = HostRewriteTransport("http://10.0.0.1:8080", transport=httpx.MockTransport(
        lambda r: seen.append(r) or httpx.Response(204)), preserve_host=False)
    with httpx.Client(transport=transport) as http:
        http.get("https://api.partnercenter.microsoft.com/v1/customers")
    assert seen[0].headers["Host"] == "10.0.0.1:8080"


def test_unreachable_standalone_sandbox(make_pc):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = make_pc(base_url=f"http://127.0.0.1:{port}", max_attempts=2)
    from app.partner_center import PartnerCenterAuthError

    with pytest.raises(PartnerCenterAuthError) as info:
        client.get_country_rules("US")
    assert info.value.unreachable
    assert not isinstance(info.value, PartnerCenterUnavailable)


def test_msal_http_client_works_over_any_transport():
    from app.partner_center import MsalHttpClient

    seen = []
    transport = httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(400, json={"error": "invalid_grant"}))
    msal_http = MsalHttpClient(HostRewriteTransport("http://127.0.0.1:5050", transport=transport))
    answer = msal_http.post("https://login.microsoftonline.com/t/oauth2/v2.0/token", data="grant_type=refresh_token")
    assert str(seen[0].url) == "http://127.0.0.1:5050/t/oauth2/v2.0/token"
    # A body MSAL encoded itself still goes as a form.
    assert seen[0].headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert seen[0].content == b"grant_type=refresh_token"
    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_grant"})
    with pytest.raises(httpx.HTTPStatusError):
        answer.raise_for_status()
    msal_http.post("https://login.microsoftonline.com/t/oauth2/v2.0/token", data={"grant_type": "client_credentials"})
    assert seen[1].content == b"grant_type=client_credentials"
