"""Client behaviour that the sandbox cannot easily provoke, through httpx.MockTransport
(the client's own code runs unpatched; only the network is replaced).

Contract behaviour against the sandbox lives in the test_contract_*.py files."""

import json
import logging

import httpx
import pytest

from app.partner_center import (
    InstanceConfig,
    PartnerCenterAuthError,
    PartnerCenterClient,
    PartnerCenterUnavailable,
    Throttled,
)
from app.partner_center.routing import MsalResponse

TENANT = "11111111-2222-3333-4444-555555555555"


class FakeEntra:
    """Answers MSAL's discovery and token requests (a network double, not a client patch)."""

    def __init__(self, *, error=None):
        self.error = error
        self.token_requests = 0

    def get(self, url, params=None, headers=None, **kw):
        base = url.split("/v2.0/")[0]
        return MsalResponse(200, json.dumps({
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "issuer": f"{base}/v2.0",
        }), {"Content-Type": "application/json"})

    def post(self, url, params=None, data=None, headers=None, **kw):
        self.token_requests += 1
        if self.error:
            return MsalResponse(401, json.dumps({"error": "invalid_client", "error_description": self.error}), {})
        return MsalResponse(200, json.dumps({"access_token": f"tok{self.token_requests}", "token_type": "Bearer", "expires_in": 3600}), {})


def make_client(handler, sleeps, **cfg):
    instance = InstanceConfig(name="unit", tenant_id=TENANT, client_id="cid", client_secret="s", **cfg)
    return PartnerCenterClient(
        instance,
        transport=httpx.MockTransport(handler),
        msal_http_client=FakeEntra(),
        sleep=sleeps.append,
        random=lambda: 0.5,
    )


def test_429_body_shape_without_header_waits_parsed_seconds_then_backs_off():
    answers = [
        httpx.Response(429, json={"statusCode": 429, "message": "Rate limit is exceeded. Try again in 7 seconds."}),
        httpx.Response(429, json={"statusCode": 429, "message": "Rate limit is exceeded. Try again in 7 seconds."}),
        httpx.Response(200, json={"iso2Code": "US"}),
    ]
    sleeps = []
    client = make_client(lambda req: answers.pop(0), sleeps)
    assert client.get_country_rules("us").iso2_code == "US"
    assert sleeps == [7, 14]


def test_429_budget_spent_raises_throttled_with_retry_after():
    sleeps = []
    client = make_client(lambda req: httpx.Response(429, headers={"Retry-After": "2"}), sleeps, max_attempts=3)
    with pytest.raises(Throttled) as info:
        client.get_country_rules("US")
    assert info.value.retry_after == 2
    assert len(sleeps) == 2


def test_long_retry_after_is_not_slept_through():
    sleeps = []
    client = make_client(lambda req: httpx.Response(429, headers={"Retry-After": "600"}), sleeps)
    with pytest.raises(Throttled) as info:
        client.get_country_rules("US")
    assert info.value.retry_after == 600 and sleeps == []


def test_5xx_budget_spent_is_unavailable_and_same_request_id():
    seen = []

    def handler(req):
        seen.append(req.headers["MS-RequestId"])
        return httpx.Response(503, text="<html>down</html>")

    sleeps = []
    client = make_client(handler, sleeps, max_attempts=4)
    with pytest.raises(PartnerCenterUnavailable) as info:
        client.get_country_rules("US")
    assert info.value.status == 503
    assert len(seen) == 4 and len(set(seen)) == 1
    assert info.value.request_id == seen[0]
    # exponential with jitter (random fixed at 0.5 -> 0.75 of the step)
    assert sleeps == [0.375, 0.75, 1.5]


def test_connect_error_budget_spent_is_unavailable():
    def handler(req):
        raise httpx.ConnectError("refused", request=req)

    sleeps = []
    client = make_client(handler, sleeps, max_attempts=2)
    with pytest.raises(PartnerCenterUnavailable) as info:
        client.get_country_rules("US")
    assert info.value.status is None and "ConnectError" in info.value.description


def test_headers_on_every_request_and_logging(caplog):
    seen = []

    def handler(req):
        seen.append(req)
        return httpx.Response(200, json={"iso2Code": "DE"})

    client = make_client(handler, [], locale="de-DE")
    with caplog.at_level(logging.INFO, logger="app.partner_center"):
        client.get_country_rules("de")
    req = seen[0]
    assert req.url.path == "/v1/countryvalidationrules/DE"
    assert req.url.host == "api.partnercenter.microsoft.com"
    assert req.headers["Authorization"] == "Bearer tok1"
    assert req.headers["Accept"] == "application/json"
    assert req.headers["X-Locale"] == "de-DE"
    assert req.headers["MS-Contract-Version"] == "v1"
    assert len(req.headers["MS-RequestId"]) == 36 and len(req.headers["MS-CorrelationId"]) == 36
    assert req.extensions["timeout"]["read"] == 30.0 and req.extensions["timeout"]["connect"] == 5.0
    record = [r for r in caplog.records if r.name == "app.partner_center"][-1]
    assert record.pc_status == 200 and record.pc_attempt == 1
    assert record.pc_request_id == req.headers["MS-RequestId"]
    assert "GET /v1/countryvalidationrules/DE" in record.getMessage()


def test_token_cached_between_calls():
    entra = FakeEntra()
    instance = InstanceConfig(name="unit", tenant_id=TENANT, client_id="cid", client_secret="s")
    client = PartnerCenterClient(instance, transport=httpx.MockTransport(lambda r: httpx.Response(200, json={})), msal_http_client=entra)
    client.get_country_rules("US")
    client.get_country_rules("US")
    assert entra.token_requests == 1


def test_national_cloud_hosts():
    seen = []
    instance = InstanceConfig(name="cn", cloud="china_21vianet", tenant_id=TENANT, client_id="cid", client_secret="s")
    client = PartnerCenterClient(instance, transport=httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(200, json={})), msal_http_client=FakeEntra())
    client.get_country_rules("CN")
    assert seen[0].url.host == "partner.partnercenterapi.microsoftonline.cn"
    assert client.tokens.authority == f"https://login.chinacloudapi.cn/{TENANT}"
    with pytest.raises(ValueError):
        InstanceConfig(name="x", cloud="mars", tenant_id=TENANT, client_id="c", client_secret="s")


def test_auth_failure_names_instance():
    instance = InstanceConfig(name="acme-live", tenant_id=TENANT, client_id="cid", client_secret="bad")
    client = PartnerCenterClient(instance, transport=httpx.MockTransport(lambda r: httpx.Response(200)), msal_http_client=FakeEntra(error="AADSTS7000215: Invalid client secret provided."))
    with pytest.raises(PartnerCenterAuthError) as info:
        client.get_country_rules("US")
    assert "acme-live" in str(info.value) and "invalid_client" in str(info.value)
    assert "AADSTS7000215" in str(info.value)


def test_app_user_operation_without_refresh_token():
    client = make_client(lambda r: httpx.Response(200, json={}), [])
    with pytest.raises(PartnerCenterAuthError) as info:
        client.get_mpn_profile("1234567")
    assert "refresh token" in str(info.value)


SUB = {
    "id": "s1",
    "offerId": "P:S",
    "quantity": 5,
    "status": "active",
    "autoRenewEnabled": True,
    "billingCycle": "monthly",
    "termDuration": "P1Y",
    "attributes": {"etag": "e1", "objectType": "Subscription"},
}


def test_patch_202_location_is_polled_until_done():
    seen = []
    polls = iter([
        httpx.Response(202, headers={"Retry-After": "2"}),
        httpx.Response(200, json={**SUB, "quantity": 9, "attributes": {"etag": "e2"}}),
    ])

    def handler(req):
        seen.append((req.method, req.url.path, req.headers.get("If-Match")))
        if req.method == "GET" and req.url.path.endswith("/subscriptions/s1"):
            return httpx.Response(200, json=SUB)
        if req.method == "PATCH":
            assert json.loads(req.content)["quantity"] == 9
            assert json.loads(req.content)["offerId"] == "P:S"  # the whole resource goes back
            return httpx.Response(202, headers={"Location": "/v1/customers/c1/operations/op1"})
        return next(polls)

    sleeps = []
    client = make_client(handler, sleeps)
    result = client.set_subscription_quantity("c1", "s1", 9, request_id="rid-1")
    assert result.quantity == 9 and result.etag == "e2"
    assert seen[1] == ("PATCH", "/v1/customers/c1/subscriptions/s1", '"e1"')  # ETags go in double quotes
    assert [s[1] for s in seen[2:]] == ["/v1/customers/c1/operations/op1"] * 2
    assert sleeps == [1.0, 2.0]


def test_address_validation_older_400_2007_shape():
    client = make_client(lambda r: httpx.Response(400, json={"code": 2007, "description": "Address is invalid"}), [])
    result = client.validate_address({"addressLine1": "x", "city": "y", "country": "US"})
    assert result.status == "NotValidated" and result.error_code == "2007"
    assert result.message == "Address is invalid" and not result.is_valid
    assert result.original.address_line1 == "x"


def test_search_filter_json_and_next_page_request():
    seen = []

    def handler(req):
        seen.append(req)
        if "seekOperation" in req.url.params:
            return httpx.Response(200, json={"totalCount": 1, "items": [{"id": "b", "companyProfile": {"domain": "ab.onmicrosoft.com"}}]})
        return httpx.Response(200, json={"totalCount": 1, "items": [{"id": "a", "companyProfile": {"domain": "a.onmicrosoft.com"}}],
                                         "continuationToken": "tok"})

    client = make_client(handler, [])
    found = client.find_customer_by_domain("ab")
    assert found.id == "b"
    first, second = seen
    assert json.loads(first.url.params["filter"]) == {"Field": "Domain", "Value": "ab.onmicrosoft.com", "Operator": "starts_with"}
    assert second.url.params["seekOperation"] == "Next" and second.headers["MS-ContinuationToken"] == "tok"


def test_401_not_retried_and_next_call_gets_a_fresh_token():
    seen = []
    answers = iter([httpx.Response(401, json={"code": "Unauthorized", "description": "expired"}),
                    httpx.Response(200, json={"iso2Code": "US"})])

    def handler(req):
        seen.append(req.headers["Authorization"])
        return next(answers)

    entra = FakeEntra()
    instance = InstanceConfig(name="unit", tenant_id=TENANT, client_id="cid", client_secret="s")
    client = PartnerCenterClient(instance, transport=httpx.MockTransport(handler), msal_http_client=entra)
    from app.partner_center import PartnerCenterError

    with pytest.raises(PartnerCenterError) as info:
        client.get_country_rules("US")
    assert info.value.status == 401 and len(seen) == 1
    assert client.get_country_rules("US").iso2_code == "US"
    assert seen == ["Bearer tok1", "Bearer tok2"]


def test_503_retry_after_header_is_honoured():
    answers = iter([httpx.Response(503, headers={"Retry-After": "3"}), httpx.Response(200, json={})])
    sleeps = []
    client = make_client(lambda r: next(answers), sleeps)
    client.get_country_rules("US")
    assert sleeps == [3.0]


def test_the_retry_policy_reads_each_status_one_way():
    from app.partner_center.transport import DONE, FAILED, RETRY, THROTTLED, classify

    statuses = [200, 201, 202, 204, 400, 401, 403, 404, 408, 409, 412, 417, 429, 500, 501, 502, 503, 504, 505]
    assert {s: classify(s) for s in statuses} == {
        200: DONE, 201: DONE, 202: DONE, 204: DONE,
        400: FAILED, 401: FAILED, 403: FAILED, 404: FAILED, 409: FAILED, 412: FAILED, 417: FAILED,
        408: RETRY, 500: RETRY, 502: RETRY, 503: RETRY, 504: RETRY,
        429: THROTTLED,
        501: FAILED, 505: FAILED,  # "this server will never do that"
    }
