"""Bearer tokens: HS256 only, with issuer, audience and expiry always checked."""

import time

import jwt
from nameko.extensions import DependencyProvider

from services.infra.context import Caller
from services.infra.errors import Forbidden, Unauthorized

ALGORITHM = "HS256"  # fixed: a token naming another algorithm (or "none") is refused
ISSUER = "linli"
AUDIENCE = "linli-api"
MIN_SECRET_LENGTH = 32


class Tokens:
    def __init__(self, secret, ttl_seconds):
        if not secret or len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                "TOKEN_SECRET (LINLI_TOKEN_SECRET) must be set to at least "
                f"{MIN_SECRET_LENGTH} characters"
            )
        self.secret = secret
        self.ttl_seconds = int(ttl_seconds)

    def issue(self, identity):
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + self.ttl_seconds,
            "sub": identity["account_id"],
            "role": identity["role"],
        }
        if identity["tenant_id"]:  # the platform operator's token names no community
            claims["tid"] = identity["tenant_id"]
        if identity.get("member_id"):
            claims["mid"] = identity["member_id"]
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def caller(self, authorization, correlation_id=None):
        """The ``Caller`` a ``Bearer`` header proves; ``Unauthorized`` for anything else."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Send a token: 'Authorization: Bearer <token>'.")
        try:
            claims = jwt.decode(
                token.strip(),
                self.secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("The token has expired: log in again.") from None
        except jwt.InvalidTokenError:
            raise Unauthorized("The token is not valid.") from None
        role = claims.get("role")
        if role == "operator":  # of no community: never a leader or member of any
            if "tid" in claims or "mid" in claims:
                raise Unauthorized("The token is not valid.")
            return Caller(
                account_id=claims["sub"],
                role=role,
                correlation_id=correlation_id,
                issued_at=claims["iat"],
            )
        if role not in ("leader", "staff", "member") or not isinstance(claims.get("tid"), str):
            raise Unauthorized("The token is not valid.")
        return Caller(
            tenant_id=claims["tid"],
            account_id=claims["sub"],
            member_id=claims.get("mid"),
            role=claims["role"],
            correlation_id=correlation_id,
            issued_at=claims["iat"],
        )


def check_role(caller, roles):
    if roles and caller.role not in roles:
        raise Forbidden(f"This needs the role {' or '.join(roles)}.")


def tokens_from(config):
    return Tokens(config.get("TOKEN_SECRET"), config.get("TOKEN_TTL_SECONDS", 604800))


class TokenIssuer(DependencyProvider):
    """``self.tokens`` in the gateway; refuses to start without a strong secret."""

    def setup(self):
        self.tokens = tokens_from(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.tokens
