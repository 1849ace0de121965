"""SigV4 checks: botocore's own signatures verify; wrong secrets, unknown keys and edits do not."""

from __future__ import annotations

from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from infra.local.access import sigv4
from infra.local.vocabulary import HttpRequest

KEYS = {"AKIDEXAMPLE": ("s3cret", None), "ASIAROLE": ("role-secret", "the-token")}


def signed(
    url: str,
    body: bytes = b'{"hi": 1}',
    key: str = "AKIDEXAMPLE",
    token: str | None = None,
    extra: dict[str, str] | None = None,
) -> HttpRequest:
    """A request as botocore signs it for `url`, then as it arrives at the local cloud."""
    secret = KEYS[key][0]
    headers = {"Content-Type": "application/json", **(extra or {})}
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    SigV4Auth(Credentials(key, secret, token), "execute-api", "us-east-1").add_auth(request)
    parts = urlsplit(url)
    headers = {k.lower(): v for k, v in request.headers.items()}
    headers["host"] = parts.netloc
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return HttpRequest("POST", target, headers, body)


def lookup(key: str) -> tuple[str, str | None] | None:
    return KEYS.get(key)


def test_a_signature_made_by_botocore_is_valid() -> None:
    """A request botocore signed for the local URL verifies with the key's secret."""
    request = signed("http://127.0.0.1:4599/abc123/dev/@connections/conn-1%3D")
    assert sigv4.check(request, lookup).outcome is sigv4.Outcome.VALID


def test_a_wrong_secret_is_a_bad_signature() -> None:
    """The same key with another secret does not verify."""
    request = signed("http://127.0.0.1:4599/abc123/dev/@connections/conn-1%3D")
    check = sigv4.check(request, lambda key: ("not the secret", None))
    assert check.outcome is sigv4.Outcome.BAD_SIGNATURE


def test_an_unknown_key_is_refused_before_any_signature_math() -> None:
    """A key nobody issued is UNKNOWN_KEY."""
    request = signed("http://127.0.0.1:4599/abc123/dev/@connections/x")
    assert sigv4.check(request, lambda key: None).outcome is sigv4.Outcome.UNKNOWN_KEY


def test_no_authorization_header_is_unsigned() -> None:
    """A request without a SigV4 header is UNSIGNED."""
    request = HttpRequest("POST", "/abc/dev/@connections/x", {"host": "127.0.0.1:4599"}, b"")
    assert sigv4.check(request, lookup).outcome is sigv4.Outcome.UNSIGNED


def test_an_edited_body_breaks_the_signature() -> None:
    """Changing the body after signing is a BAD_SIGNATURE."""
    request = signed("http://127.0.0.1:4599/abc/dev/@connections/x")
    request.body = b'{"hi": 2}'
    assert sigv4.check(request, lookup).outcome is sigv4.Outcome.BAD_SIGNATURE


def test_a_request_signed_for_the_execute_api_host_verifies_as_an_alternative() -> None:
    """Signed for AWS's host and redirected here: valid when that host and path are offered."""
    aws = signed("https://abc123.execute-api.us-east-1.amazonaws.com/dev/@connections/x%3D")
    arrived = HttpRequest(
        "POST", "/abc123/dev/@connections/x%3D", {**aws.headers, "host": "127.0.0.1:4599"}, aws.body
    )
    assert sigv4.check(arrived, lookup).outcome is sigv4.Outcome.BAD_SIGNATURE
    alternative = ("abc123.execute-api.us-east-1.amazonaws.com", "/dev/@connections/x%3D")
    assert sigv4.check(arrived, lookup, [alternative]).outcome is sigv4.Outcome.VALID


def test_a_session_key_needs_its_token() -> None:
    """Temporary credentials verify only with the session token they were issued with."""
    good = signed("http://127.0.0.1:4599/a/dev/@connections/x", key="ASIAROLE", token="the-token")
    assert sigv4.check(good, lookup).outcome is sigv4.Outcome.VALID
    forged = signed("http://127.0.0.1:4599/a/dev/@connections/x", key="ASIAROLE", token="forged")
    assert sigv4.check(forged, lookup).outcome is sigv4.Outcome.UNKNOWN_KEY


def test_the_quick_signature_is_botocores() -> None:
    """For plain paths the signature computed directly is the one botocore's signer computes."""
    urls = [
        "http://127.0.0.1:4599/abc123/dev/@connections/conn-1%3D",
        "https://abc123.execute-api.us-east-1.amazonaws.com/dev/%40connections/x%2Fy",
        "http://127.0.0.1:4599/",
        "http://localhost:4599/2015-03-31/functions/chat-connect/invocations",
        "http://127.0.0.1:4599/a/b/",
        "http://127.0.0.1:4599/a%20b/~c/d+e",
    ]
    for url in urls:
        for body in (b"", b'{"hi": 1}'):
            spaced = {"X-Amz-Meta": "  spaced   out  "}  # signed trimmed, with one space
            request = signed(url, body=body, key="ASIAROLE", token="the-token", extra=spaced)
            assert "x-amz-meta" in request.headers["authorization"]
            auth = sigv4.Authorization.parse(request.headers["authorization"])
            assert auth is not None
            args = (
                auth,
                "role-secret",
                "POST",
                request.host,
                request.target,
                request.headers,
                body,
            )
            assert sigv4._quick_signature(*args) == auth.signature, url  # botocore's own


def test_paths_the_quick_signature_leaves_to_botocore_still_verify() -> None:
    """A query, dot segments or doubled slashes are verified by botocore's signer."""
    for url in (
        "http://127.0.0.1:4599/abc/dev/@connections/x?a=1&b=%20",
        "http://127.0.0.1:4599/abc/./dev//x",
    ):
        request = signed(url)
        auth = sigv4.Authorization.parse(request.headers["authorization"])
        assert auth is not None
        assert sigv4._quick_signature(auth, "s3cret", "POST", request.host, request.target,
                                      request.headers, request.body) is None  # fmt: skip
        assert sigv4.check(request, lookup).outcome is sigv4.Outcome.VALID
