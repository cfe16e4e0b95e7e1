from flask import request

from app.audit.services import Origin


def request_origin() -> Origin:
    """The IP address and browser of the current request, for audit events."""
    return Origin(ip_address=request.remote_addr, user_agent=request.headers.get("User-Agent"))
