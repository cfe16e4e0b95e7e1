"""Sign-in rules: credential checks and throttling of repeated failures (counters in Redis)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import redis

from app.accounts.models import User, utcnow
from app.audit import services as audit
from app.audit.services import Origin
from app.extensions import db


@dataclass(frozen=True)
class ThrottleLimits:
    per_email: int
    per_ip: int
    window_seconds: int


class SignInThrottled(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"Too many failed sign-in attempts; retry after {retry_after} s")
        self.retry_after = retry_after


def _keys(email: str, ip: str | None) -> list[str]:
    # Hash the email: the counter key should not hold an address in clear text.
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    keys = [f"signin:fail:email:{digest}"]
    if ip:
        keys.append(f"signin:fail:ip:{ip}")
    return keys


def _check_throttle(r: redis.Redis, email: str, ip: str | None, limits: ThrottleLimits) -> None:
    keys = _keys(email, ip)
    counts = r.mget(keys)
    caps = [limits.per_email, limits.per_ip]
    for key, count, cap in zip(keys, counts, caps):
        if count is not None and int(count) >= cap:
            ttl = r.ttl(key)
            raise SignInThrottled(retry_after=max(int(ttl), 1) if ttl and ttl > 0 else limits.window_seconds)


def _record_failure(r: redis.Redis, email: str, ip: str | None, limits: ThrottleLimits) -> None:
    pipe = r.pipeline()
    for key in _keys(email, ip):
        pipe.incr(key)
        # The window starts at the first failure and is not extended by later ones.
        pipe.expire(key, limits.window_seconds, nx=True)
    pipe.execute()


def authenticate(email: str, password: str, *, r: redis.Redis, limits: ThrottleLimits,
                 origin: Origin) -> User | None:
    """Return the user for valid credentials, None otherwise; raise SignInThrottled when slowed down.

    The answer for an unknown email and for a wrong password is the same, and both cost a
    password hash check, so neither the message nor the timing tells whether the email exists.
    """
    email = email.strip().lower()
    _check_throttle(r, email, origin.ip_address, limits)
    user = db.session.scalar(db.select(User).where(User.email == email))
    if user is None:
        _DUMMY.check_password(password)
        ok = False
    else:
        ok = user.check_password(password) and user.is_active
    if not ok:
        _record_failure(r, email, origin.ip_address, limits)
        audit.record("sign_in_failed", actor=user, subject=email, origin=origin)
        db.session.commit()
        return None
    r.delete(_keys(email, None)[0])
    user.last_sign_in_at = utcnow()
    audit.record("signed_in", actor=user, subject=user.email, origin=origin)
    db.session.commit()
    return user


class _DummyUser:
    """Checks a password against a real hash so unknown emails cost the same time."""

    _hash: str | None = None

    def check_password(self, password: str) -> bool:
        from werkzeug.security import check_password_hash, generate_password_hash

        if _DummyUser._hash is None:
            _DummyUser._hash = generate_password_hash("not-a-real-password")
        return check_password_hash(_DummyUser._hash, password)


_DUMMY = _DummyUser()
