"""Password hashing with argon2id, off the eventlet hub (it is deliberately slow CPU work)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified when the phone is unknown, so that a miss takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("linli-timing-equaliser")


def hash_password(password):
    return tpool.execute(_hasher.hash, password)


def verify_password(password_hash, password):
    try:
        return tpool.execute(_hasher.verify, password_hash or _DUMMY_HASH, password) and bool(
            password_hash
        )
    except (VerificationError, InvalidHashError):
        return False
