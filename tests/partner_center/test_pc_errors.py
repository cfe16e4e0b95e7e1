"""Error parsing: every body shape the contract documents, and the code -> class table."""

import json

import pytest

from app.partner_center import errors as e


def make(status, body, headers=None, method="GET", path="/v1/x"):
    text = json.dumps(body) if not isinstance(body, (str, bytes)) else body
    return e.error_from_response(
        status, text, headers=headers or {}, request_id="rid", correlation_id="cid", method=method, path=path
    )


def test_classic_shape():
    err = make(404, {"code": 3000, "description": "Partner Organization with partner_id 9999999 could not be found", "data": [], "source": "PartnerFD"})
    assert isinstance(err, e.PartnerIdUnknown)
    assert isinstance(err, e.NotFound)
    assert err.code == "3000" and err.code_int == 3000
    assert err.status == 404
    assert "9999999" in err.description
    assert err.source == "PartnerFD"
    assert err.request_id == "rid" and err.correlation_id == "cid"
    assert not err.retryable


def test_newer_shape_with_error_name_and_parameters():
    err = make(400, {"code": 600061, "errorName": "PartnerConfirmedAgreementAlreadyExists", "message": "already", "isRetryable": False, "parameters": {"a": "b"}, "errorMessageExtended": "more"})
    assert isinstance(err, e.AgreementAlreadyExists)
    assert err.error_name == "PartnerConfirmedAgreementAlreadyExists"
    assert err.description == "already (more)"
    assert err.data == {"a": "b"}


def test_error_name_alone_maps():
    err = make(400, {"errorName": "PartnerConfirmedAgreementAlreadyExists", "message": "x"})
    assert isinstance(err, e.AgreementAlreadyExists)


def test_pascal_case_keys():
    err = make(400, {"Code": "600049", "Description": "registration id required"})
    assert isinstance(err, e.RegistrationIdMissing)
    assert err.description == "registration id required"


def test_throttle_shape_parses_retry_after_from_message():
    err = make(429, {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds."})
    assert isinstance(err, e.Throttled)
    assert err.retry_after == 57
    assert err.retryable


def test_throttle_header_wins():
    err = make(429, "", headers={"Retry-After": "3"})
    assert isinstance(err, e.Throttled) and err.retry_after == 3


def test_non_json_body():
    err = make(502, "<html><body><h1>Bad Gateway</h1></body></html>")
    assert isinstance(err, e.PartnerCenterUnavailable)
    assert err.description == "Bad Gateway"
    assert err.code is None and err.retryable


def test_empty_body_404():
    err = make(404, "")
    assert type(err) is e.NotFound and err.description == ""


@pytest.mark.parametrize("code", ["2200", "2201", "2203", "2204", "2205", "2206"])
def test_partner_agreement_codes_keep_exact_code(code):
    err = make(400, {"code": int(code), "description": "x"})
    assert isinstance(err, e.PartnerAgreementNotSigned)
    assert err.code == code
    assert err.reason


@pytest.mark.parametrize(
    "code,cls",
    [
        (600049, e.RegistrationIdMissing),
        (600050, e.RegistrationIdInvalid),
        (600002, e.RegistrationIdNotAllowed),
        (600051, e.PhoneMissing),
        (13605, e.McaMissing),
        (800073, e.CustomerUnderReview),
        (800074, e.CustomerUnderReview),
        (800075, e.CustomerUnderReview),
        (800090, e.QuantityCannotBeDecreased),
        (900213, e.QuantityCannotBeDecreased),
        (900214, e.QuantityCannotBeDecreased),
        (900257, e.QuantityCannotBeDecreased),
        (2055, e.EtagMismatch),
        (800082, e.SubscriptionNotReady),
        (600061, e.AgreementAlreadyExists),
        (800065, e.CartAlreadySubmitted),
        (800064, e.CartBeingProcessed),
    ],
)
def test_code_table(code, cls):
    assert type(make(400, {"code": code, "description": "d"})) is cls


def test_registration_regex_extracted():
    err = make(400, {"code": 600050, "description": "Organization registration number is invalid. It must match the regex ^[0-9]{10}$ for IN."})
    assert isinstance(err, e.RegistrationIdInvalid)
    assert err.regex == "^[0-9]{10}$"
    assert make(400, {"code": 600050, "description": "invalid"}).regex is None


def test_register_error_code_extends_table():
    class Suspended(e.PartnerCenterError):
        pass

    e.register_error_code(800091, Suspended)
    try:
        assert type(make(400, {"code": "800091"})) is Suspended
    finally:
        del e.ERROR_CODES["800091"]


def test_domain_taken_heuristic_only_on_customer_creation():
    err = make(409, {"code": 1000, "description": "conflict"}, method="POST", path="/v1/customers")
    assert isinstance(err, e.DomainTaken)
    err = make(400, {"code": 1234, "description": "The domain prefix is already in use"}, method="POST", path="/v1/customers")
    assert isinstance(err, e.DomainTaken)
    assert not isinstance(make(409, {"code": 1}, method="POST", path="/v1/customers/x/carts"), e.DomainTaken)


def test_2055_is_etag_mismatch_and_a_bare_412_too():
    assert isinstance(make(400, {"code": "2055", "description": "Etag is no longer valid"}), e.EtagMismatch)
    assert isinstance(make(412, {"code": 1, "description": "etag"}), e.EtagMismatch)


def test_auth_error_message_names_instance():
    err = e.PartnerCenterAuthError("contoso-live", "invalid_client", "AADSTS7000215: Invalid client secret provided.")
    assert "contoso-live" in str(err)
    assert "invalid_client" in str(err) and "AADSTS7000215" in str(err)


def test_parse_retry_after_variants():
    assert e.parse_retry_after("10") == 10
    assert e.parse_retry_after(None, "Try again in 2 minutes") == 120
    assert e.parse_retry_after(None, "nothing") is None
    assert e.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0
