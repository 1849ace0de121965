"""Checking AWS Signature Version 4 on requests that reach the local cloud.

The signature is recomputed with botocore's own SigV4 signer (the code that made it), from
the request's method, host, path, query, the headers it says it signed, and its body. A request
sent to AWS's `https://{apiId}.execute-api...` host and redirected here by a worker's botocore
hook was signed for that host and path, so those are tried too.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ..edge.messages import HttpRequest

ALGORITHM = "AWS4-HMAC-SHA256"


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


SecretLookup = Callable[[str], tuple[str, str | None] | None]  # key -> (secret, session token)


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
    for host, target in [(request.host, request.target), *alternatives]:
        computed = signature(
            authorization, secret, request.method, host, target, request.headers, request.body
        )
        if hmac.compare_digest(computed, authorization.signature):
            return Check(Outcome.VALID, authorization)
    return Check(Outcome.BAD_SIGNATURE, authorization)
