"""Encryption of secrets stored in the database (Partner Center client secrets, refresh tokens).

The keys come from ENCRYPTION_KEY: one Fernet key, or several separated by commas so that one
can be rotated (MultiFernet: the first encrypts, every one decrypts; `flask reencrypt-secrets`
then moves every stored secret to the first, and the old key can be dropped). Without it, in the
demo and sandbox only, a key is generated once into instance/encryption_key; live mode refuses
to start without the variable (see app/__init__.py), since a web process and a worker on two
hosts would not share that file.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class EncryptionKeyError(ValueError):
    pass


def parse_keys(value: str | bytes) -> list[bytes]:
    """The keys of an ENCRYPTION_KEY value, each checked; raises EncryptionKeyError in plain words."""
    text = value.decode() if isinstance(value, bytes) else value
    keys = [part.strip() for part in text.split(",") if part.strip()]
    if not keys:
        raise EncryptionKeyError("ENCRYPTION_KEY is empty.")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise EncryptionKeyError(
                f"ENCRYPTION_KEY: key {position} of {len(keys)} is not a Fernet key (32 url-safe base64-encoded "
                "bytes). Make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'") from None
    return [key.encode() for key in keys]


def _keys() -> tuple[bytes, ...]:
    configured = current_app.config.get("ENCRYPTION_KEY")
    if configured:
        return _configured_keys(configured)
    path = os.path.join(current_app.instance_path, "encryption_key")
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}"
        with open(tmp, "wb") as fh:
            fh.write(Fernet.generate_key())
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    found = os.stat(path)
    return _key_file(path, found.st_ino, found.st_mtime_ns)


# The keys, and the MultiFernet made of them, are kept per value (an order's page decrypts its tenant's first
# password on every visit; reading the key file and making the Fernets each time was three quarters of that).
# The key file is read again when it is another file or was written since (its inode and time are the key).
@lru_cache(maxsize=8)
def _configured_keys(value: str) -> tuple[bytes, ...]:
    return tuple(parse_keys(value))


@lru_cache(maxsize=8)
def _key_file(path: str, _inode: int, _mtime_ns: int) -> tuple[bytes, ...]:
    with open(path, "rb") as fh:
        return (fh.read().strip(),)


@lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[bytes, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _fernet() -> MultiFernet:
    return _multi_fernet(_keys())


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


@contextmanager
def _stored_secret():
    """Fernet's InvalidToken as a ValueError that says what to check."""
    try:
        yield
    except InvalidToken as exc:
        raise ValueError("A stored secret could not be decrypted: none of the keys in ENCRYPTION_KEY is the one "
                         "that encrypted it.") from exc


def decrypt(token: str) -> str:
    with _stored_secret():
        return _fernet().decrypt(token.encode()).decode()


def reencrypt(token: str) -> str:
    """The same secret encrypted with the first key (unchanged in meaning; for key rotation)."""
    with _stored_secret():
        return _fernet().rotate(token.encode()).decode()
