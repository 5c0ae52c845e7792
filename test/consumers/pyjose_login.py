#!/usr/bin/python3
"""Log in at an OIDC provider the way OpenG2P's Python apps do.

The relying-party side of an authorization-code login with private_key_jwt,
built on python-jose exactly as the apps build it (see CONSUMERS.md §2A, §2B,
§2D): the client assertion is made by jose.jwt.encode(claims, key,
algorithm=...) with the key in the form the app holds it:

  odoo-base64-pem  Odoo g2p_auth_oidc: base64.b64decode(client_private_key) -> PEM bytes
  jwk-object       openg2p-fastapi-auth: authorization_parameters.client_assertion_jwk (a dict)
  pem-bytes        openg2p-iam-service: client_private_key (bytea) .decode("utf-8") -> PEM str

Input: one JSON object on stdin (see LoginRequest in consumers.go).
Output: one JSON object on stdout. On a login failure the exit status is 1
and stderr holds one line "<stage>: <reason>"; on bad input or a broken
environment it is 2. No message ever contains key material.

Standard library plus python-jose only.
"""

import base64
import hashlib
import json
import secrets
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

try:
    from jose import jwt
except ImportError as exc:  # pragma: no cover - environment problem
    sys.stderr.write("environment: python-jose is not importable (%s); run hack/install-test-deps.sh\n" % exc)
    sys.exit(2)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_BODY = 400  # characters of an error body quoted in a reason


class LoginFailure(Exception):
    """A step of the login failed; stage names the step."""

    def __init__(self, stage, reason):
        super().__init__(reason)
        self.stage = stage
        self.reason = reason


class BadInput(Exception):
    """The request is unusable (a harness bug, not a login failure)."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class _Secrets:
    """Key material to scrub from any message before it is printed."""

    def __init__(self):
        self.parts = []

    def add(self, value):
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if not isinstance(value, str) or len(value) < 8:
            return
        self.parts.append(value)
        for line in value.splitlines():
            if len(line.strip()) >= 16 and not line.startswith("-----"):
                self.parts.append(line.strip())

    def scrub(self, text):
        for part in sorted(self.parts, key=len, reverse=True):
            text = text.replace(part, "[redacted]")
        return text


SECRETS = _Secrets()


def _opener(ca_file, follow):
    ctx = ssl.create_default_context(cafile=ca_file or None)
    handlers = [urllib.request.HTTPSHandler(context=ctx)]
    if not follow:
        handlers.append(_NoRedirect())
    return urllib.request.build_opener(*handlers)


def _body_excerpt(data):
    text = data.decode("utf-8", "replace").strip().replace("\n", " ").replace("\r", " ")
    if len(text) > MAX_BODY:
        text = text[:MAX_BODY] + "..."
    return text


def _http(stage, opener, req):
    """Send req; return (status, headers, body). Non-2xx/3xx becomes a LoginFailure."""
    try:
        with opener.open(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        body = err.read() if err.fp is not None else b""
        if 300 <= err.code < 400:
            return err.code, err.headers, body
        www = err.headers.get("WWW-Authenticate") if err.headers else None
        extra = " (WWW-Authenticate: %s)" % www if www else ""
        raise LoginFailure(stage, "HTTP %d%s: %s" % (err.code, extra, _body_excerpt(body))) from None
    except urllib.error.URLError as err:
        raise LoginFailure(stage, "cannot reach %s: %s" % (req.full_url, err.reason)) from None


def _get_json(stage, opener, url):
    status, _, body = _http(stage, opener, urllib.request.Request(url, headers={"Accept": "application/json"}))
    try:
        return json.loads(body)
    except ValueError:
        raise LoginFailure(stage, "HTTP %d: not JSON: %s" % (status, _body_excerpt(body))) from None


def _signing_key(form, key):
    """The key exactly as the consumer passes it to jose.jwt.encode."""
    if form == "odoo-base64-pem":
        if not isinstance(key, str):
            raise BadInput("odoo-base64-pem key must be a JSON string of base64 text")
        # Odoo: base64.b64decode(self.with_context(bin_size=False).client_private_key)
        secret = base64.b64decode(key)
        SECRETS.add(secret)
        return secret
    if form == "jwk-object":
        # openg2p-fastapi-auth passes client_assertion_jwk as loaded from the JSON column.
        if isinstance(key, dict):
            for member in ("d", "p", "q", "dp", "dq", "qi", "k"):
                SECRETS.add(key.get(member))
        return key
    if form == "pem-bytes":
        if not isinstance(key, str):
            raise BadInput("pem-bytes key must be a JSON string holding the PEM")
        stored = key.encode("utf-8")  # what the bytea column holds
        # openg2p-iam-service: key_pem.decode("utf-8") when bytes
        return stored.decode("utf-8")
    raise BadInput("unknown key form %r" % form)


def _authorize(opener, req, state, nonce, challenge):
    params = {
        "client_id": req["client_id"],
        "redirect_uri": req["redirect_uri"],
        "response_type": "code",
        "scope": req.get("scope") or "openid profile email",
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if req.get("acr_values"):
        params["acr_values"] = req["acr_values"]
    if req.get("claims"):
        params["claims"] = req["claims"]
    endpoint = req["authorize_endpoint"]
    sep = "&" if urllib.parse.urlsplit(endpoint).query else "?"
    url = endpoint + sep + urllib.parse.urlencode(params)
    status, headers, body = _http("authorize", opener, urllib.request.Request(url))
    location = headers.get("Location") if headers else None
    if not (300 <= status < 400) or not location:
        raise LoginFailure("authorize", "HTTP %d without a redirect: %s" % (status, _body_excerpt(body)))
    if not location.startswith(req["redirect_uri"]):
        raise LoginFailure("authorize", "redirected to %s, not to the redirect URI" % location)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    if "error" in query:
        raise LoginFailure("authorize", "error=%s error_description=%s" % (
            query["error"][0], query.get("error_description", [""])[0]))
    got_state = query.get("state", [None])[0]
    if got_state != state:
        raise LoginFailure("authorize", "state did not round-trip: sent %r, got %r" % (state, got_state))
    code = query.get("code", [None])[0]
    if not code:
        raise LoginFailure("authorize", "redirect without code: %s" % location)
    return code


def _assertion(req, key):
    now = int(time.time())
    claims = {
        "iss": req["client_id"],
        "sub": req["client_id"],
        "aud": req.get("audience") or req["token_endpoint"],
        "iat": now,
        "exp": now + 3600,
    }
    if req.get("add_jti"):
        claims["jti"] = secrets.token_urlsafe(24)
    try:
        return jwt.encode(claims, key, algorithm=req.get("algorithm") or "RS256")
    except Exception as exc:  # python-jose raises JWKError/JWSError for unusable keys
        raise LoginFailure("assertion", "jose.jwt.encode failed: %s: %s" % (type(exc).__name__, exc)) from None


def _token(opener, req, code, verifier, assertion):
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": req["redirect_uri"],
        "client_id": req["client_id"],
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
        "code_verifier": verifier,
    }
    data = urllib.parse.urlencode(form).encode("ascii")
    http_req = urllib.request.Request(req["token_endpoint"], data=data, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
    status, _, body = _http("token", opener, http_req)
    if status != 200:
        raise LoginFailure("token", "HTTP %d: %s" % (status, _body_excerpt(body)))
    try:
        tokens = json.loads(body)
    except ValueError:
        raise LoginFailure("token", "HTTP 200: not JSON: %s" % _body_excerpt(body)) from None
    for member in ("id_token", "access_token"):
        if not tokens.get(member):
            raise LoginFailure("token", "response lacks %s" % member)
    return tokens


def _verify_id_token(opener, req, tokens, nonce):
    jwks = _get_json("jwks", opener, req["jwks_uri"])
    try:
        claims = jwt.decode(
            tokens["id_token"],
            jwks,
            audience=req["client_id"],
            issuer=req["issuer"],
            access_token=tokens["access_token"],
        )
    except Exception as exc:  # JWTError, ExpiredSignatureError, JWTClaimsError
        raise LoginFailure("id_token", "jose.jwt.decode: %s: %s" % (type(exc).__name__, exc)) from None
    if claims.get("nonce") != nonce:
        raise LoginFailure("id_token", "nonce %r does not match the one sent" % claims.get("nonce"))
    return claims


def _userinfo(opener, req, access_token):
    endpoint = req.get("userinfo_endpoint")
    if not endpoint:
        discovery_url = req.get("discovery_url") or req["issuer"].rstrip("/") + "/.well-known/openid-configuration"
        endpoint = _get_json("discovery", opener, discovery_url).get("userinfo_endpoint")
        if not endpoint:
            raise LoginFailure("discovery", "%s has no userinfo_endpoint" % discovery_url)
    http_req = urllib.request.Request(endpoint, headers={"Authorization": "Bearer " + access_token})
    _, headers, body = _http("userinfo", opener, http_req)
    ctype = headers.get("Content-Type", "") if headers else ""
    text = body.decode("utf-8", "replace").strip()
    if ctype.split(";")[0].strip() == "application/json":
        try:
            return ctype, json.loads(text)
        except ValueError:
            raise LoginFailure("userinfo", "%s body is not JSON: %s" % (ctype, _body_excerpt(body))) from None
    # Consumers read application/jwt userinfo unverified (CONSUMERS.md §4).
    try:
        return ctype, jwt.get_unverified_claims(text)
    except Exception as exc:
        raise LoginFailure("userinfo", "%s body is not a readable JWS: %s" % (ctype, type(exc).__name__)) from None


def run(req):
    for member in ("form", "key", "client_id", "authorize_endpoint", "token_endpoint",
                   "jwks_uri", "redirect_uri", "issuer"):
        if member not in req or req[member] in ("", None):
            raise BadInput("missing %s" % member)
    key = _signing_key(req["form"], req["key"])
    opener = _opener(req.get("ca_file"), follow=True)
    no_redirect = _opener(req.get("ca_file"), follow=False)

    verifier = req.get("code_verifier") or secrets.token_urlsafe(32)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
    state = json.dumps({"p": 1, "r": "/", "t": secrets.token_urlsafe(8)}, separators=(",", ":"))
    nonce = secrets.token_urlsafe()

    code = _authorize(no_redirect, req, state, nonce, challenge)
    assertion = _assertion(req, key)
    tokens = _token(opener, req, code, verifier, assertion)
    claims = _verify_id_token(opener, req, tokens, nonce)
    ctype, userinfo = _userinfo(opener, req, tokens["access_token"])
    return {
        "id_token_claims": claims,
        "access_token": tokens["access_token"],
        "token_type": tokens.get("token_type", ""),
        "expires_in": tokens.get("expires_in", 0),
        "userinfo_content_type": ctype,
        "userinfo_claims": userinfo,
    }


def main():
    try:
        req = json.load(sys.stdin)
        if not isinstance(req, dict):
            raise BadInput("input is not a JSON object")
        SECRETS.add(json.dumps(req.get("key")))
        if isinstance(req.get("key"), str):
            SECRETS.add(req["key"])
        result = run(req)
    except LoginFailure as exc:
        sys.stderr.write(SECRETS.scrub("%s: %s" % (exc.stage, exc.reason)).replace("\n", " ") + "\n")
        return 1
    except BadInput as exc:
        sys.stderr.write("input: %s\n" % SECRETS.scrub(str(exc)))
        return 2
    except Exception as exc:  # a bug or a broken environment; keep it on one line
        sys.stderr.write("internal: %s\n" % SECRETS.scrub("%s: %s" % (type(exc).__name__, exc)).replace("\n", " "))
        return 2
    json.dump(result, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
