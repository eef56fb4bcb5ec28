"""The Python client against a real `mailgate serve` over TLS (run by scripts/python-client-test,
which starts PostgreSQL and passes where everything is)."""
import argparse, asyncio, base64, os, secrets, signal, socket, subprocess, sys, time

import mailgate
from mailgate import admin_pb2, mailer_pb2

parser = argparse.ArgumentParser()
for option in ("--mailgate", "--database-url", "--fixture-python", "--support", "--migrations", "--work"):
    parser.add_argument(option, required=True)
args = parser.parse_args()
processes = []


def step(text):
    print(f"== {text}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_fixture(arguments):
    process = subprocess.Popen(arguments, stdout=subprocess.PIPE, text=True)
    processes.append(process)
    line = process.stdout.readline()
    assert line.startswith("READY"), f"{arguments[1]} did not start: {line!r}"
    return process, int(line.split()[1])


def start_serve(env, log):
    process = subprocess.Popen([args.mailgate, "serve"], env=env, stdout=log, stderr=log)
    processes.append(process)
    return process


def wait_until_serving(address, ca_file, key):
    deadline = time.time() + 60
    while True:
        try:
            with mailgate.Client(address, api_key=key, ca_file=ca_file, timeout=5) as client:
                return client.who_am_i()
        except mailgate.MailgateError:
            if time.time() > deadline:
                raise
            time.sleep(0.3)


def main():
    work = args.work
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", f"{work}/key.pem", "-out", f"{work}/cert.pem", "-days", "30", "-subj", "/CN=mailgate",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True, capture_output=True)
    ca_file = f"{work}/cert.pem"
    os.makedirs(f"{work}/mail")
    # Each DATA waits a little, so a validation with a test message outlasts a short deadline.
    _, smtp_port = start_fixture([args.fixture_python, f"{args.support}/smtp_server.py", "--folder", f"{work}/mail",
                                  "--delay-ms", "1500"])
    subprocess.run(["psql", args.database_url, "-qc", "CREATE DATABASE python_client"], check=True)
    port = free_port()
    address = f"127.0.0.1:{port}"
    operator_key = "mgk_pyclient_" + secrets.token_hex(24)
    env = dict(os.environ,
               MAILGATE_DATABASE_URL=args.database_url.replace("/postgres?", "/python_client?"),
               MAILGATE_ALLOWED_PRIVATE_NETWORKS="127.0.0.0/8", MAILGATE_LISTEN=address,
               MAILGATE_OPS_LISTEN="off", MAILGATE_CONSOLE_LISTEN="off",
               MAILGATE_TLS_CERT=f"{work}/cert.pem", MAILGATE_TLS_KEY=f"{work}/key.pem",
               MAILGATE_BOOTSTRAP_OPERATOR_KEY=operator_key,
               MAILGATE_MASTER_KEYS="1:" + base64.b64encode(os.urandom(32)).decode(),
               MAILGATE_MIGRATIONS_DIR=args.migrations, MAILGATE_POLL_INTERVAL_MS="200")
    log = open(f"{work}/serve.log", "w")
    serve = start_serve(env, log)

    step("TLS, trusting the server's certificate only")
    me = wait_until_serving(address, ca_file, operator_key)
    assert me.scope == "operator", me
    with mailgate.Client(address, api_key=operator_key, tls=True, timeout=5) as untrusting:
        try:
            untrusting.who_am_i()
            raise AssertionError("a certificate no system CA signed was accepted")
        except mailgate.Unavailable as error:
            assert "CERTIFICATE" in str(error).upper(), error

    operator = mailgate.Client(address, api_key=operator_key, ca_file=ca_file)
    step("an operator sets up a tenant, its key and its default server")
    operator.create_tenant(slug="acme", display_name="Acme")
    tenant_key = operator.create_api_key(scope=admin_pb2.KEY_SCOPE_TENANT, tenant="acme", description="python").secret
    server = admin_pb2.PutServerRequest(
        tenant="acme", name="relay", host="127.0.0.1", port=smtp_port, security=admin_pb2.SECURITY_NONE,
        sender_address="billing@acme.example", auth_type=admin_pb2.AUTH_TYPE_NONE, is_default=True)
    assert operator.put_server(server).version == 1

    step("a tenant key sends a mail and follows it to its final state")
    client = mailgate.Client(address, api_key=tenant_key, ca_file=ca_file)
    sent = client.send_mail(mailer_pb2.SendMailRequest(
        to=[mailer_pb2.EmailAddress(address="alice@example.org")], subject="Invoice 42", text_body="Hello from Python",
        idempotency_key="python-1"))
    final = client.wait_for_message(sent.message_id, timeout=60)
    assert final.state == mailer_pb2.MESSAGE_STATE_SENT, final
    received = [name for name in os.listdir(f"{work}/mail") if name.endswith(".eml")]
    assert len(received) == 1, received
    assert b"Hello from Python" in open(f"{work}/mail/{received[0]}", "rb").read()
    again = client.send_mail(mailer_pb2.SendMailRequest(
        to=[mailer_pb2.EmailAddress(address="alice@example.org")], subject="Invoice 42", text_body="Hello from Python",
        idempotency_key="python-1"))
    assert again.message_id == sent.message_id, "the idempotency key answers with the same message"

    step("errors are typed, with their reason, fields and retry hint")
    try:
        client.send_mail(mailer_pb2.SendMailRequest(to=[mailer_pb2.EmailAddress(address="not an address")]))
        raise AssertionError("an invalid request was accepted")
    except mailgate.InvalidArgument as error:
        assert error.code == mailgate.Code.INVALID_ARGUMENT and error.field_violations, error
        assert any(v.field.startswith("to") for v in error.field_violations), error.field_violations
    try:
        client.get_server(server="nope")
        raise AssertionError("an unknown server was found")
    except mailgate.NotFound as error:
        assert error.code_name == "NOT_FOUND"
    try:
        client.create_tenant(slug="globex", display_name="Globex")
        raise AssertionError("a tenant key created a tenant")
    except mailgate.PermissionDenied:
        pass
    with mailgate.Client(address, api_key="mgk_nobody_" + "x" * 40, ca_file=ca_file) as stranger:
        try:
            stranger.who_am_i()
            raise AssertionError("an unknown key was accepted")
        except mailgate.Unauthenticated:
            pass

    step("a deadline ends the call with DEADLINE_EXCEEDED; cancelling a call leaves the connection working")

    async def deadlines_and_cancel():
        # A peer that accepts and never answers: only the client's own deadline can end the call.
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        async with mailgate.AsyncClient(f"127.0.0.1:{silent.getsockname()[1]}", timeout=0.5) as mute:
            started = time.monotonic()
            try:
                await mute.check()
                raise AssertionError("a call to a silent server returned")
            except mailgate.DeadlineExceeded:
                assert time.monotonic() - started < 3
        silent.close()
        async with mailgate.AsyncClient(address, api_key=tenant_key, ca_file=ca_file) as fast:
            # A validation with a test message takes the SMTP peer's 1.5 s DATA delay at least.
            running = asyncio.ensure_future(fast.validate_server(server="relay", send_test_message=True))
            await asyncio.sleep(0.2)
            running.cancel()
            try:
                await running
            except asyncio.CancelledError:
                pass
            answers = await asyncio.gather(*[fast.who_am_i() for _ in range(20)])
            assert {answer.tenant_slug for answer in answers} == {"acme"}, answers[0]

    asyncio.run(deadlines_and_cancel())

    step("a restarted server: the next call goes out on a new connection")
    serve.send_signal(signal.SIGTERM)
    assert serve.wait(timeout=60) == 0
    serve = start_serve(env, log)
    wait_until_serving(address, ca_file, operator_key)
    assert client.get_message(message_id=sent.message_id).state == mailer_pb2.MESSAGE_STATE_SENT
    client.close()
    operator.close()
    print("python client test passed")


if __name__ == "__main__":
    try:
        main()
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
