"""Encryption of secrets stored in the database (Partner Center client secrets, refresh tokens).

The key comes from ENCRYPTION_KEY (a Fernet key). Without it, a key is generated once into
instance/encryption_key so a demo installation works; production sets the variable.
"""
from __future__ import annotations

import os

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def _key() -> bytes:
    configured = current_app.config.get("ENCRYPTION_KEY")
    if configured:
        return configured.encode() if isinstance(configured, str) else configured
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
    with open(path, "rb") as fh:
        return fh.read().strip()


def encrypt(plaintext: str) -> str:
    return Fernet(_key()).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return Fernet(_key()).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("A stored secret could not be decrypted: ENCRYPTION_KEY differs from the one "
                         "that encrypted it.") from exc
