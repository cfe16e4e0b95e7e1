"""The public address Partner Center posts its webhook events to (one per connection, by token).

No sign-in and no CSRF token: Microsoft is no storefront user and sends no cookie. What makes a post
trusted is its signature, checked as Microsoft documents (app.connections.webhooks.receive); an
unsigned, tampered or foreign post is answered 401 and changes nothing.
"""
from __future__ import annotations

from flask import Blueprint, request

from app.connections import webhooks
from app.extensions import csrf
from app.web.access import Permission, allow

bp = Blueprint("partner_center_webhooks", __name__, url_prefix="/webhooks")


@bp.post("/partner-center/<token>")
@allow(Permission.PUBLIC)
@csrf.exempt
def receive(token: str):
    body = request.get_data(cache=False)
    status, answer = webhooks.receive(token, body, request.headers)
    return answer, status, {"Content-Type": "text/plain; charset=utf-8"}
