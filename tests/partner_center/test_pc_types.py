"""Typed results tolerate camelCase, PascalCase and unknown fields."""

from datetime import datetime, timezone

from app.partner_center.types import (
    Availability,
    Cart,
    CheckoutResult,
    Customer,
    Page,
    Subscription,
    parse_datetime,
)


def _pascal_case(document):
    """`document` with each key's first letter upper-cased (some answers spell them so), at every depth."""
    if isinstance(document, dict):
        return {key[:1].upper() + key[1:]: _pascal_case(value) for key, value in document.items()}
    if isinstance(document, list):
        return [_pascal_case(value) for value in document]
    return document


def test_customer_camel_and_pascal_and_extras():
    camel = {
        "id": "t1",
        "commerceId": "c1",
        "companyProfile": {"tenantId": "t1", "domain": "a.onmicrosoft.com", "companyName": "A"},
        "billingProfile": {"email": "x@a.com", "defaultAddress": {"addressLine1": "1 Main", "city": "X", "country": "US"}},
        "relationshipToPartner": "reseller",
        "userCredentials": {"userName": "admin", "password": "pw"},
        "somethingNew": {"x": 1},
    }
    for data in (camel, _pascal_case(camel)):
        c = Customer.from_json(data)
        assert c.id == "t1" and c.commerce_id == "c1" and c.domain == "a.onmicrosoft.com"
        assert c.company_name == "A" and c.relationship_to_partner == "reseller"
        assert c.user_credentials.user_name == "admin" and c.user_credentials.password == "pw"
        assert c.default_address.address_line1 == "1 Main"
    assert "pw" not in repr(Customer.from_json(camel))


def test_subscription_full():
    s = Subscription.from_json(
        {
            "id": "s1",
            "offerId": "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P",
            "quantity": 5,
            "status": "active",
            "autoRenewEnabled": True,
            "billingCycle": "monthly",
            "termDuration": "P1Y",
            "creationDate": "2024-01-02T03:04:05.1234567Z",
            "commitmentEndDate": "2025-01-01T00:00:00Z",
            "cancellationAllowedUntilDate": "2024-01-09T03:04:05Z",
            "refundableQuantity": {"totalQuantity": 5, "details": [{"quantity": 5, "allowedUntilDateTime": "2024-01-09T03:04:05Z"}]},
            "scheduledNextTermInstructions": {"product": {"productId": "P", "skuId": "S", "availabilityId": "A", "billingCycle": "annual", "termDuration": "P1Y"}, "quantity": 3},
            "orderId": "o1",
            "attributes": {"etag": "e1", "objectType": "Subscription"},
        }
    )
    assert s.quantity == 5 and s.etag == "e1" and s.order_id == "o1"
    assert s.creation_date == datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc)
    assert s.refundable_quantity.total_quantity == 5
    assert s.refundable_quantity.details[0][0] == 5
    assert s.scheduled_next_term_instructions.quantity == 3
    assert s.scheduled_next_term_instructions.sku_id == "S"


def test_cart_line_item_error_and_checkout():
    cart = Cart.from_json({"id": "c", "status": "Active", "lineItems": [{"id": 0, "catalogItemId": "a:b:c", "quantity": 1, "error": {"errorCode": "10015", "errorDescription": "too many"}}]})
    assert cart.errors[0].error_code == "10015"
    res = CheckoutResult.from_json({"orders": [{"id": "o", "lineItems": [{"lineItemNumber": 0, "offerId": "x", "quantity": 2}], "status": "pending"}], "orderErrors": [{"orderGroupId": "1", "code": "800070", "description": "n/a"}]})
    assert res.orders[0].line_items[0].quantity == 2
    assert res.order_errors[0].code == "800070"


def test_availability_splits_catalog_item_id():
    a = Availability.from_json({"id": "A", "catalogItemId": "P:S:A", "defaultCurrency": {"code": "USD", "symbol": "$"}, "terms": [{"duration": "P1Y", "billingCycle": "monthly"}]})
    assert (a.product_id, a.sku_id, a.currency_code) == ("P", "S", "USD")
    assert a.terms[0].duration == "P1Y"


def test_page_continuation_from_links():
    page = Page.from_json({"totalCount": 3, "items": [{"id": "1"}], "links": {"next": {"uri": "/x", "headers": [{"key": "MS-ContinuationToken", "value": "tok"}]}}}, Customer.from_json)
    assert page.continuation_token == "tok" and len(page) == 1
    assert Page.from_json({"items": [], "continuationToken": "t2"}, Customer.from_json).continuation_token == "t2"


def test_parse_datetime_tolerant():
    assert parse_datetime("garbage") is None
    assert parse_datetime("2024-01-01").tzinfo is not None
