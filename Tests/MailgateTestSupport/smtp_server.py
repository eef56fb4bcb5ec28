"""A real SMTP server for tests (aiosmtpd): optional AUTH PLAIN/LOGIN, STARTTLS or
implicit TLS; stores each accepted message as <n>.json (envelope) and <n>.eml (bytes)
in the given folder. Recipients named reject-* get 550, tempfail-* get 451.
Faults a test switches on and off while the server runs are read from <folder>/faults.json
at each connection and command: {"greeting": "<reply>"} answers every connection with that
reply and closes it; {"mail": "<reply>"} answers MAIL FROM with it.
Prints "READY <port>" once listening; stops on SIGTERM."""
import argparse
import asyncio, base64, json, os, signal, ssl, sys, threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

parser = argparse.ArgumentParser()
parser.add_argument("--folder", required=True)
parser.add_argument("--user")
parser.add_argument("--password")
parser.add_argument("--cert")
parser.add_argument("--key")
parser.add_argument("--mode", choices=["plain", "starttls", "tls"], default="plain")
parser.add_argument("--reject-data", action="store_true", help="answer 554 to DATA")
parser.add_argument("--bearer", help="accept AUTH XOAUTH2 for --user with this access token")
parser.add_argument("--introspect", help="accept AUTH XOAUTH2 for --user with tokens this URL (the token fixture's /introspect) vouches for")
parser.add_argument("--tempfail-data", type=int, default=0, help="answer 451 to the first N DATA commands")
parser.add_argument("--throttle-data", type=int, default=0, help="answer 432 4.3.2 (Exchange's limit) to the first N DATA commands")
parser.add_argument("--quota-data", type=int, default=0, help="answer Exchange Online's 554 5.2.0 SubmissionQuotaExceeded to the first N DATA commands (after the throttled ones)")
parser.add_argument("--delay-ms", type=int, default=0, help="wait this long before answering each DATA")
parser.add_argument("--drop-after-data", type=int, default=0, help="close the connection without a reply after the first N messages")
args = parser.parse_args()
cli = args
args_bearer = args.bearer

def fault(name):
    """The reply faults.json gives for `name`, or None; written by the test at any time."""
    try:
        with open(os.path.join(cli.folder, "faults.json")) as f:
            return json.load(f).get(name)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


class FaultySMTP(SMTP):
    """aiosmtpd's SMTP, with the greeting faults.json may replace (a 554 banner, a 421)."""

    async def _handle_client(self):
        greeting = fault("greeting")
        if greeting is None:
            return await super()._handle_client()
        await self.push(greeting)
        self.transport.close()


class FaultyController(Controller):
    def factory(self):
        return FaultySMTP(self.handler, **self.SMTP_kwargs)


def vouched(token):
    if not cli.introspect:
        return False
    import urllib.error, urllib.parse, urllib.request
    try:
        with urllib.request.urlopen(cli.introspect + "?" + urllib.parse.urlencode({"token": token}), timeout=5) as reply:
            return reply.status == 200
    except urllib.error.URLError:
        return False


class Handler:
    def __init__(self):
        # Numbering continues after what the folder holds (scripts/dev keeps its mail between runs).
        self.count = max([int(name[:-4]) for name in os.listdir(args.folder) if name.endswith(".eml") and name[:-4].isdigit()] or [0])

    async def auth_XOAUTH2(self, server, args):
        """XOAUTH2: base64 of "user=<user>\\x01auth=Bearer <token>\\x01\\x01"."""
        if len(args) > 1:
            raw = base64.b64decode(args[1])
        else:
            raw = await server.challenge_auth("", encode_to_b64=False)
        fields = dict(f.split("=", 1) for f in raw.decode().split("\x01") if "=" in f)
        bearer = fields.get("auth", "")[len("Bearer "):] if fields.get("auth", "").startswith("Bearer ") else None
        ok = fields.get("user") == cli.user and bearer is not None and (bearer == args_bearer or vouched(bearer))
        if not ok:
            # Exchange's way: a 334 challenge with a JSON error, then 535 after the client's empty reply.
            await server.challenge_auth(base64.b64encode(b'{"status":"401","schemes":"bearer","scope":"https://outlook.office.com/"}').decode(), encode_to_b64=False)
            server.xoauth2_refusals = getattr(server, "xoauth2_refusals", 0) + 1
        return AuthResult(success=ok, handled=False, message=None if ok else "535 5.7.3 Authentication unsuccessful")

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        refusal = fault("mail")
        if refusal is not None:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local.startswith("reject"):
            return "550 5.1.1 No such user here"
        if local.startswith("tempfail"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if args.reject_data:
            return "554 5.7.1 Message rejected as spam"
        if args.delay_ms:
            await asyncio.sleep(args.delay_ms / 1000)
        self.data_commands = getattr(self, "data_commands", 0) + 1
        if self.data_commands <= args.tempfail_data:
            return "451 4.3.0 Temporary local problem, try again"
        if self.data_commands <= args.tempfail_data + args.throttle_data:
            return "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded"
        if self.data_commands <= args.tempfail_data + args.throttle_data + args.quota_data:
            return ("554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; "
                    "Failed to process message due to a permanent exception with message "
                    "[BeginDiagnosticData]Cannot submit message.[EndDiagnosticData]")
        self.count += 1
        base = os.path.join(args.folder, str(self.count))
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        # Written aside and renamed: a reader never sees a half-written envelope.
        with open(base + ".json.tmp", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "auth": bool(session.authenticated), "tls": session.ssl is not None}, f)
        os.replace(base + ".json.tmp", base + ".json")
        if self.count <= args.drop_after_data:
            # The message is stored, but the client never hears so: an uncertain outcome.
            server.transport.abort()
            return "250 2.0.0 Ok (never sent)"
        return "250 2.0.0 Ok: queued as %d" % self.count

def authenticator(server, session, envelope, mechanism, auth_data):
    if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == args.user \
            and auth_data.password.decode() == args.password:
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)

context = None
if args.cert:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)

def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

kwargs = dict(hostname="127.0.0.1", port=free_port(), decode_data=False)
if args.user:
    kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=args.mode != "plain")
if args.mode == "starttls":
    kwargs.update(tls_context=context, require_starttls=True)
elif args.mode == "tls":
    kwargs.update(ssl_context=context)

controller = FaultyController(Handler(), **kwargs)
controller.start()
port = controller.port
print("READY %d" % port, flush=True)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
# SIGHUP: serve the certificate now in the --cert and --key files (a renewal), on new handshakes.
if context is not None:
    signal.signal(signal.SIGHUP, lambda *_: context.load_cert_chain(args.cert, args.key))
stop.wait()
controller.stop()
