"""Checking AWS Signature Version 4 on requests that reach the local cloud.

The signature is recomputed from the request's method, host, path, query, the headers it says
it signed, and its body. A request sent to AWS's `https://{apiId}.execute-api...` host and
redirected here by a worker's botocore hook was signed for that host and path, so those are tried
too (the pair that worked last for a key first).

A room's fan-out has every @connections post checked, so the common case (no query, a plain
path) is computed here directly, with the signing key derived once per key and day; anything else
goes through botocore's own SigV4 signer (the code that made the signature). A test holds the two
to the same answers.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from urllib.parse import quote

from botocore.auth import SIGNED_HEADERS_BLACKLIST, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ..vocabulary import HttpRequest

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_HEADERS = frozenset(SIGNED_HEADERS_BLACKLIST)  # botocore never signs these


class Outcome(Enum):
    VALID = "valid"
    UNSIGNED = "unsigned"  # no SigV4 Authorization header at all
    UNKNOWN_KEY = "unknown key"  # an access key nobody issued
    BAD_SIGNATURE = "bad signature"  # a known key, but not its secret (or a changed request)


@dataclass(frozen=True)
class Authorization:
    """The parts of a SigV4 `Authorization` header."""

    access_key: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str

    @classmethod
    def parse(cls, header: str) -> Authorization | None:
        if not header.startswith(ALGORITHM + " "):
            return None
        fields: dict[str, str] = {}
        for part in header[len(ALGORITHM) + 1 :].split(","):
            name, _, value = part.strip().partition("=")
            fields[name] = value
        try:
            access_key, date, region, service, _ = fields["Credential"].split("/")
            return cls(
                access_key,
                date,
                region,
                service,
                tuple(fields["SignedHeaders"].split(";")),
                fields["Signature"],
            )
        except (KeyError, ValueError):
            return None


@dataclass(frozen=True)
class Check:
    outcome: Outcome
    authorization: Authorization | None = None

    @property
    def valid(self) -> bool:
        return self.outcome is Outcome.VALID


# access key -> whether its last valid request was signed for an alternative (host, target)
_signed_for_alternative: dict[str, bool] = {}
SecretLookup = Callable[[str], tuple[str, str | None] | None]  # key -> (secret, session token)


@functools.lru_cache(maxsize=256)
def signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    """SigV4's derived key: HMACs of the day, region, service and "aws4_request" in turn."""
    key = f"AWS4{secret}".encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _quick_signature(
    authorization: Authorization,
    secret: str,
    method: str,
    host: str,
    target: str,
    headers: dict[str, str],
    body: bytes,
) -> str | None:
    """The signature for a plain path without a query, as botocore computes it; else None."""
    if not target.startswith("/") or any(part in target for part in ("?", "#", "/.", "//")):
        return None
    signed = {name for name in authorization.signed_headers if name in headers} | {"host"}
    names = sorted(signed - UNSIGNED_HEADERS)
    values = {**headers, "host": host}
    canonical_headers = "".join(f"{name}:{' '.join(values[name].split())}\n" for name in names)
    payload = headers.get("x-amz-content-sha256") if "x-amz-content-sha256" in names else None
    canonical = "\n".join(
        (
            method.upper(),
            quote(target, safe="/~"),
            "",
            canonical_headers,
            ";".join(names),
            payload or hashlib.sha256(body).hexdigest(),
        )
    )
    timestamp = headers.get("x-amz-date", "")
    scope = f"{timestamp[:8]}/{authorization.region}/{authorization.service}/aws4_request"
    to_sign = f"{ALGORITHM}\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = signing_key(secret, timestamp[:8], authorization.region, authorization.service)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def signature(
    authorization: Authorization,
    secret: str,
    method: str,
    host: str,
    target: str,
    headers: dict[str, str],
    body: bytes,
) -> str:
    """The signature botocore computes for this request, as signed for `host` and `target`."""
    quick = _quick_signature(authorization, secret, method, host, target, headers, body)
    if quick is not None:
        return quick
    # Any other path or query: botocore's own signer, from the parts botocore signed.
    signed = {name: headers[name] for name in authorization.signed_headers if name in headers}
    signed["host"] = host
    request = AWSRequest(method=method, url=f"http://{host}{target}", headers=signed, data=body)
    request.context["timestamp"] = headers.get("x-amz-date", "")
    auth = SigV4Auth(
        Credentials(authorization.access_key, secret), authorization.service, authorization.region
    )
    canonical = auth.canonical_request(request)
    return auth.signature(auth.string_to_sign(request, canonical), request)


def check(
    request: HttpRequest,
    secret_for: SecretLookup,
    alternatives: Iterable[tuple[str, str]] = (),
) -> Check:
    """Whether `request` carries a valid SigV4 signature by a known key.

    `alternatives` are other (host, target) pairs the request may have been signed for.
    """
    authorization = Authorization.parse(request.headers.get("authorization", ""))
    if authorization is None:
        return Check(Outcome.UNSIGNED)
    known = secret_for(authorization.access_key)
    if known is None:
        return Check(Outcome.UNKNOWN_KEY, authorization)
    secret, token = known
    if token is not None and request.headers.get("x-amz-security-token") != token:
        return Check(Outcome.UNKNOWN_KEY, authorization)
    direct = (request.host, request.target)
    pairs = [direct, *alternatives]
    if _signed_for_alternative.get(authorization.access_key) and len(pairs) > 1:
        pairs = [*pairs[1:], pairs[0]]  # this key's requests come through a worker's hook
    for host, target in pairs:
        computed = signature(
            authorization, secret, request.method, host, target, request.headers, request.body
        )
        if hmac.compare_digest(computed, authorization.signature):
            if len(_signed_for_alternative) > 10_000:  # keys of retired workers
                _signed_for_alternative.clear()
            _signed_for_alternative[authorization.access_key] = (host, target) != direct
            return Check(Outcome.VALID, authorization)
    return Check(Outcome.BAD_SIGNATURE, authorization)
