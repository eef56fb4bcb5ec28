"""A real HTTP OAuth 2.0 token endpoint for tests, behaving like Microsoft's identity
platform (/<directory>/oauth2/v2.0/token and /authorize) and Google's (/google/token,
/google/auth): client credentials, authorization code with PKCE S256, refresh tokens
that rotate on every use (the old one is then refused), and the providers' documented
error bodies for each failure.

Control (for tests): GET /stats, POST /control {"fail": KIND, "count": N},
POST /control {"revoke_refresh_tokens": true}, GET /introspect?token=T (200 while the
token is one this server issued and has not expired; the SMTP fixture asks it).
KINDs: server_error (HTTP 500 AADSTS90006), unavailable (503 AADSTS90024),
invalid_grant (400 AADSTS70008 to refresh requests), slow (delay each reply by
--delay-ms). Prints "READY <port>" once listening."""
import argparse, base64, hashlib, json, secrets, sys, threading, time, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

parser = argparse.ArgumentParser()
parser.add_argument("--client", action="append", default=[], help="ID=SECRET of a registered app (SECRET may be empty: public client)")
parser.add_argument("--expired-secret", action="append", default=[], help="ID=SECRET: a secret of the app that has expired")
parser.add_argument("--directory", default="contoso-directory", help="the only Microsoft directory (tenant) id that exists")
parser.add_argument("--refresh-token", action="append", default=[], help="a refresh token already issued (consent done earlier)")
parser.add_argument("--expires-in", type=int, default=3599)
parser.add_argument("--delay-ms", type=int, default=0, help="wait this long before answering each token request")
parser.add_argument("--no-rotate", action="store_true", help="keep refresh tokens on refresh (Google's behaviour)")
parser.add_argument("--no-refresh-token-on-code", action="store_true", help="redeem codes without issuing a refresh token")
parser.add_argument("--deny-consent", action="store_true", help="the user declines consent at /authorize")
parser.add_argument("--sign-in-as", default="", help="the account the person signs in with at /authorize (default: the login_hint)")
parser.add_argument("--password-credential", action="append", default=[],
                    help="HINT=ENDDATETIME: a client secret of the app as Graph lists it (passwordCredentials)")
parser.add_argument("--graph-permission", action="store_true", help="the app has Application.Read.All (else Graph answers 403)")
args = parser.parse_args()

lock = threading.Lock()
clients = dict(c.split("=", 1) for c in args.client)
expired = set(tuple(c.split("=", 1)) for c in args.expired_secret)
refresh_tokens = {t: None for t in args.refresh_token}  # token -> client id (None: any)
access_tokens = {}  # token -> expiry (epoch seconds)
codes = {}  # code -> dict(client_id, redirect_uri, challenge, scope)
stats = {"token_requests": 0, "by_grant": {}, "errors": {}, "last_form_keys": [], "rotations": 0}
injected = {"kind": None, "count": 0}


def microsoft_error(status, error, code, description):
    return status, {
        "error": error,
        "error_description": f"AADSTS{code}: {description}\r\nTrace ID: {uuid.uuid4()}\r\nCorrelation ID: {uuid.uuid4()}\r\nTimestamp: 2026-11-23 10:00:00Z",
        "error_codes": [code],
        "timestamp": "2026-11-23 10:00:00Z",
        "trace_id": str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()),
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }


def google_error(status, error, description):
    return status, {"error": error, "error_description": description}


def issue(scope, refresh=True, client_id=None):
    token = "at-" + secrets.token_urlsafe(24)
    access_tokens[token] = time.time() + args.expires_in
    body = {"token_type": "Bearer", "expires_in": args.expires_in, "ext_expires_in": args.expires_in, "access_token": token}
    if scope:
        body["scope"] = scope
    if refresh:
        rt = "rt-" + secrets.token_urlsafe(24)
        refresh_tokens[rt] = client_id
        body["refresh_token"] = rt
    return 200, body


graph_tokens = set()


def graph_application(app_id, bearer):
    """GET /v1.0/applications(appId='...')?$select=passwordCredentials, as Microsoft Graph answers it."""
    if bearer not in graph_tokens:
        return 401, {"error": {"code": "InvalidAuthenticationToken", "message": "Access token validation failure."}}
    if not args.graph_permission:
        return 403, {"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation."}}
    if app_id not in clients:
        return 404, {"error": {"code": "Request_ResourceNotFound", "message": f"Resource '{app_id}' does not exist."}}
    credentials = []
    for entry in args.password_credential:
        hint, end = entry.split("=", 1)
        credentials.append({"customKeyIdentifier": None, "displayName": "mailgate", "endDateTime": end, "hint": hint,
                            "keyId": str(uuid.uuid4()), "secretText": None, "startDateTime": "2025-01-01T00:00:00Z"})
    return 200, {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications(passwordCredentials)/$entity",
                 "passwordCredentials": credentials}


def token(provider, directory, form):
    google = provider == "google"
    grant = form.get("grant_type", "")
    stats["token_requests"] += 1
    stats["by_grant"][grant] = stats["by_grant"].get(grant, 0) + 1
    stats["last_form_keys"] = sorted(form.keys())
    if injected["count"] > 0 and injected["kind"] in ("server_error", "unavailable") or \
            injected["count"] > 0 and injected["kind"] == "invalid_grant" and grant == "refresh_token":
        injected["count"] -= 1
        kind = injected["kind"]
        if kind == "server_error":
            return microsoft_error(500, "server_error", 90006, "An internal server error occurred.")
        if kind == "unavailable":
            return microsoft_error(503, "temporarily_unavailable", 90024, "The service is temporarily unavailable.")
        return microsoft_error(400, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity.")
    if not google and directory != args.directory:
        return microsoft_error(400, "invalid_request", 90002, f"Tenant '{directory}' not found. Check to make sure you have the correct tenant ID.")
    client_id = form.get("client_id", "")
    secret = form.get("client_secret")
    if client_id not in clients:
        if google:
            return google_error(401, "invalid_client", "The OAuth client was not found.")
        return microsoft_error(400, "unauthorized_client", 700016, f"Application with identifier '{client_id}' was not found in the directory '{directory}'.")
    if (client_id, secret) in expired:
        return microsoft_error(401, "invalid_client", 7000222, f"The provided client secret keys for app '{client_id}' are expired.")
    if clients[client_id] and secret != clients[client_id]:
        if google:
            return google_error(401, "invalid_client", "Unauthorized")
        return microsoft_error(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.")
    scope = form.get("scope", "")
    if grant == "client_credentials":
        if google:
            return google_error(400, "unsupported_grant_type", "Invalid grant_type: client_credentials")
        if not scope.endswith("/.default"):
            return microsoft_error(400, "invalid_scope", 1002012, f"The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.")
        status, body = issue(scope, refresh=False)
        # Graph's app-only scope; tests point Mailgate's Graph URL at this server, whose own base is the resource.
        if scope in ("https://graph.microsoft.com/.default", f"http://127.0.0.1:{server.server_address[1]}/.default"):
            graph_tokens.add(body["access_token"])
            stats["graph_tokens"] = stats.get("graph_tokens", 0) + 1
        return status, body
    if grant == "refresh_token":
        rt = form.get("refresh_token", "")
        if rt not in refresh_tokens:
            if google:
                return google_error(400, "invalid_grant", "Token has been expired or revoked.")
            return microsoft_error(400, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity.")
        granted = scope or "https://mail.google.com/"
        if google or args.no_rotate:
            status, body = issue(granted, refresh=False)
            return status, body
        del refresh_tokens[rt]
        stats["rotations"] += 1
        return issue(granted, refresh=True, client_id=client_id)
    if grant == "authorization_code":
        code = codes.pop(form.get("code", ""), None)
        if code is None or code["client_id"] != client_id:
            return microsoft_error(400, "invalid_grant", 70000, "The provided authorization code is invalid or has expired.") if not google \
                else google_error(400, "invalid_grant", "Malformed auth code.")
        if code["redirect_uri"] != form.get("redirect_uri"):
            return microsoft_error(400, "invalid_grant", 50148, "The redirect URI does not match the one used to obtain the authorization code.") if not google \
                else google_error(400, "redirect_uri_mismatch", "Bad Request")
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if challenge != code["challenge"]:
            return microsoft_error(400, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.") if not google \
                else google_error(400, "invalid_grant", "Invalid code verifier.")
        status, body = issue(code["scope"], refresh=not args.no_refresh_token_on_code, client_id=client_id)
        if "openid" in code["scope"].split():
            # Who signed in, as OpenID Connect says it (unsigned here: it comes straight from the token endpoint).
            claims = {"email": code["account"]} if google else {"preferred_username": code["account"], "upn": code["account"]}
            encode = lambda obj: base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
            body["id_token"] = encode({"alg": "none", "typ": "JWT"}) + "." + encode(claims) + ".sig"
        return status, body
    return google_error(400, "unsupported_grant_type", f"unsupported grant_type {grant!r}")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body, headers=None):
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = url.path.strip("/").split("/")
        with lock:
            if url.path == "/stats":
                return self.reply(200, stats)
            if url.path.startswith("/v1.0/applications(appId="):
                app_id = url.path[len("/v1.0/applications(appId="):].strip("')")
                from urllib.parse import unquote
                status, body = graph_application(unquote(app_id), self.headers.get("Authorization", "")[len("Bearer "):])
                return self.reply(status, body)
            if url.path == "/introspect":
                expiry = access_tokens.get(query.get("token", ""))
                return self.reply(200 if expiry and expiry > time.time() else 401, {"active": bool(expiry and expiry > time.time())})
            if parts[-1] in ("authorize", "auth"):
                redirect = query.get("redirect_uri", "")
                if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
                    return self.reply(400, {"error": "invalid_request", "error_description": "PKCE S256 is required"})
                if args.deny_consent:
                    q = {"error": "access_denied", "error_description": "The user has denied access to the scope requested by the client application.", "state": query.get("state", "")}
                else:
                    code = "code-" + secrets.token_urlsafe(16)
                    codes[code] = {"client_id": query.get("client_id"), "redirect_uri": redirect, "challenge": query["code_challenge"], "scope": query.get("scope", ""),
                                   "account": args.sign_in_as or query.get("login_hint", "")}
                    q = {"code": code, "state": query.get("state", "")}
                location = redirect + ("&" if "?" in redirect else "?") + urlencode(q)
                return self.reply(302, b"", {"Location": location})
        self.reply(404, {"error": "not_found"})

    def do_POST(self):
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length).decode()
        if url.path == "/control":
            body = json.loads(raw or "{}")
            with lock:
                if "fail" in body:
                    injected["kind"], injected["count"] = body["fail"], body.get("count", 1)
                if body.get("revoke_refresh_tokens"):
                    refresh_tokens.clear()
            return self.reply(200, {"ok": True})
        parts = url.path.strip("/").split("/")
        if parts[-1] != "token":
            return self.reply(404, {"error": "not_found"})
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        if args.delay_ms:
            time.sleep(args.delay_ms / 1000)
        with lock:
            provider = "google" if parts[0] == "google" else "microsoft"
            status, body = token(provider, parts[0], form)
            if status != 200:
                stats["errors"][body["error"]] = stats["errors"].get(body["error"], 0) + 1
        self.reply(status, body)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(f"READY {server.server_address[1]}", flush=True)
server.serve_forever()
