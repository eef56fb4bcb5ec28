"""The console in a real browser (Playwright driving Debian's Chromium) against a real
`mailgate serve`, PostgreSQL, the SMTP peer and the OAuth token fixture. Run by
scripts/console-test, which installs what it needs and starts PostgreSQL."""
import argparse, base64, csv, io, json, os, re, secrets, signal, socket, subprocess, sys, time, urllib.request

from playwright.sync_api import expect, sync_playwright

parser = argparse.ArgumentParser()
parser.add_argument("--mailgate", required=True)
parser.add_argument("--database-url", required=True)
parser.add_argument("--fixture-python", required=True)
parser.add_argument("--work", required=True)
parser.add_argument("--screenshots", required=True)
parser.add_argument("--chromium", required=True)
args = parser.parse_args()

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
support = os.path.join(root, "Tests", "MailgateTestSupport")
processes = []
pages_seen = []  # (what, text): every page and download, searched for secrets at the end


def step(text):
    print(f"== {text}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(arguments, env=None, ready=None, log=None):
    """Starts a process; with `ready`, waits for a stdout line starting with it and returns it."""
    output = open(log, "w") if log else subprocess.PIPE
    process = subprocess.Popen(arguments, env=env, stdout=subprocess.PIPE if ready else output,
                               stderr=subprocess.STDOUT if ready else output, text=True)
    processes.append(process)
    if ready:
        deadline = time.time() + 30
        while time.time() < deadline:
            line = process.stdout.readline()
            if line.startswith(ready):
                return process, line.strip()
            if not line and process.poll() is not None:
                raise SystemExit(f"{arguments[0]} exited before it was ready")
        raise SystemExit(f"{arguments} did not print {ready}")
    return process, None


def wait_for_http(url, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def shot(page, name):
    page.screenshot(path=os.path.join(args.screenshots, f"{name}.png"), full_page=True)
    pages_seen.append((name, page.content()))


def main():
    work = args.work
    # Certificates: a CA of the run, and a certificate for 127.0.0.1 the SMTP peer presents.
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", f"{work}/ca.key", "-out", f"{work}/ca.pem", "-days", "90", "-subj", "/CN=console-test CA"],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", f"{work}/smtp.key", "-out", f"{work}/smtp.csr", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True)
    with open(f"{work}/san.ext", "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    subprocess.run(["openssl", "x509", "-req", "-in", f"{work}/smtp.csr", "-CA", f"{work}/ca.pem", "-CAkey", f"{work}/ca.key",
                    "-CAcreateserial", "-out", f"{work}/smtp.pem", "-days", "90", "-extfile", f"{work}/san.ext"],
                   check=True, capture_output=True)

    client_id = "11111111-2222-3333-4444-555555555555"
    client_secret = "cs~console-" + secrets.token_hex(12)
    basic_password = "pw-" + secrets.token_hex(12)
    sender = "sender@contoso.com"
    step("fixtures: token endpoint, SMTP peer with STARTTLS and XOAUTH2")
    _, ready = start([args.fixture_python, os.path.join(support, "token_server.py"), "--client", f"{client_id}={client_secret}"],
                     ready="READY")
    token_port = int(ready.split()[1])
    os.makedirs(f"{work}/mail", exist_ok=True)
    _, ready = start([args.fixture_python, os.path.join(support, "smtp_server.py"), "--folder", f"{work}/mail",
                      "--mode", "starttls", "--cert", f"{work}/smtp.pem", "--key", f"{work}/smtp.key", "--user", sender,
                      "--introspect", f"http://127.0.0.1:{token_port}/introspect"], ready="READY")
    smtp_port = int(ready.split()[1])

    step("mailgate serve with the console")
    operator_key = "mgk_consoletest_" + secrets.token_urlsafe(32).replace("-", "a").replace("_", "b")
    console_port = free_port()
    subprocess.run(["psql", args.database_url, "-qc", "CREATE DATABASE console_test"], check=True)
    database_url = args.database_url.replace("/postgres?", "/console_test?")
    env = dict(os.environ,
               MAILGATE_DATABASE_URL=database_url,
               MAILGATE_ALLOWED_PRIVATE_NETWORKS="127.0.0.0/8",
               MAILGATE_LISTEN=f"127.0.0.1:{free_port()}",
               MAILGATE_OPS_LISTEN="off",
               MAILGATE_CONSOLE_LISTEN=f"127.0.0.1:{console_port}",
               MAILGATE_BOOTSTRAP_OPERATOR_KEY=operator_key,
               MAILGATE_MASTER_KEYS="1:" + base64.b64encode(os.urandom(32)).decode(),
               MAILGATE_MIGRATIONS_DIR=os.path.join(root, "migrations"),
               MAILGATE_CA_FILE=f"{work}/ca.pem",
               MAILGATE_POLL_INTERVAL_MS="200")
    serve, _ = start([args.mailgate, "serve"], env=env, log=f"{work}/serve.log")
    base = f"http://127.0.0.1:{console_port}"
    wait_for_http(f"{base}/sign-in")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        try:
            walk(browser, base, operator_key, token_port, smtp_port, client_id, client_secret, basic_password, sender,
                 env["MAILGATE_LISTEN"])
        finally:
            browser.close()

    step("SIGTERM stops serve cleanly, the console with it")
    serve.send_signal(signal.SIGTERM)
    status = serve.wait(timeout=60)
    assert status == 0, f"mailgate serve exited {status}: " + open(f"{work}/serve.log").read()[-2000:]

    step("no stored secret in any page or download")
    for what, text in pages_seen:
        for secret in (client_secret, basic_password, operator_key):
            assert secret not in text, f"a secret appears in {what}"
        assert not re.search(r"rt-[A-Za-z0-9_-]{16,}|refresh-[A-Za-z0-9_-]{16,}", text), f"a refresh token appears in {what}"
    print(f"console test passed: {len(pages_seen)} pages and downloads checked; screenshots in {args.screenshots}")


def sign_in(page, base, key):
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/sign-in"))
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def walk(browser, base, *rest):
    context = browser.new_context(locale="en-US", accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        walk_pages(browser, context, page, base, *rest)
    except BaseException:
        # What the page showed when it went wrong, for whoever reads the CI log.
        page.screenshot(path=os.path.join(args.screenshots, "failure.png"), full_page=True)
        print("--- page at the failure:", page.url, "\n", page.locator("body").inner_text()[:3000], file=sys.stderr)
        raise


def walk_pages(browser, context, page, base, operator_key, token_port, smtp_port, client_id, client_secret,
               basic_password, sender, rpc_address):
    errors = []
    # Script errors; not the statuses of refusals this test asks for (401 for a wrong key, 403, 404).
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)

    step("sign in")
    page.goto(f"{base}/")
    shot(page, "01-sign-in")
    page.get_by_label("API key").fill("mgk_wrong_" + "x" * 32)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not accepted")
    page.get_by_label("API key").fill(operator_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/tenants")
    cookie = next(c for c in context.cookies() if c["name"] == "mg_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict", cookie

    step("create tenants")
    for slug in ("globex", "acme"):
        page.get_by_label("Slug").fill(slug)
        page.get_by_label("Display name").fill(slug.title() + " Corp")
        page.get_by_role("button", name="Create").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Tenant {slug}")
        page.goto(f"{base}/tenants")
    shot(page, "02-tenants")

    step("a server from the Microsoft preset, tested before it is saved")
    page.goto(f"{base}/tenants/acme/servers")
    page.get_by_role("link", name="New Microsoft 365 server").click()
    expect(page.get_by_label("Host")).to_have_value("smtp.office365.com")
    expect(page.get_by_label("Provider")).to_have_value("microsoft")
    page.get_by_label("Name", exact=True).fill("m365")
    page.get_by_label("Host").fill("127.0.0.1")
    page.get_by_label("Port").fill(str(smtp_port))
    page.get_by_label("Sender address").fill(sender)
    page.get_by_label("Client (application) id").fill(client_id)
    page.get_by_label("Directory (tenant) id").fill("contoso-directory")
    page.get_by_label("Authorization URL").fill(f"http://127.0.0.1:{token_port}/contoso-directory/oauth2/v2.0/authorize")
    page.get_by_label("Token URL").fill(f"http://127.0.0.1:{token_port}/contoso-directory/oauth2/v2.0/token")
    page.get_by_label("Client secret", exact=True).fill(client_secret)
    page.get_by_label("Client secret expires on").fill("2027-06-30")
    page.get_by_label("Send a test message").uncheck()
    page.get_by_role("button", name="Test connection").click()
    checks = page.locator("#test-checks")
    expect(checks.locator('li[data-check="tls"]')).to_have_class("ok", timeout=30_000)
    expect(checks.locator('li[data-check="ehlo"]')).to_have_class("ok")
    # No refresh token yet: the token check says so, with what to do.
    expect(checks.locator('li[data-check="token"]')).to_have_class(re.compile("failed|skipped"))
    shot(page, "03-server-test-unsaved")

    step("Get refresh token through the popup, before saving: the form is saved, the consent stored, the form updated")
    with page.expect_popup() as popup_info:
        page.get_by_role("button", name="Get refresh token").click()
    popup = popup_info.value
    try:
        popup.wait_for_event("close", timeout=30_000)
    except BaseException:
        print("--- the popup:", popup.url, "\n", popup.locator("body").inner_text()[:2000], file=sys.stderr)
        raise
    expect(page.locator("#refresh_token-state")).to_contain_text("Set on", timeout=15_000)
    expect(page.locator("#consent-status")).to_contain_text("stored")
    expect(page.locator("#consent-status")).to_contain_text(f"Consent given by {sender}")
    expect(page).to_have_url(f"{base}/tenants/acme/servers/m365")
    shot(page, "04-server-after-consent")

    step("save")
    page.get_by_label("Sender name").fill("Acme Billing")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/tenants/acme/servers/m365\?saved=1"))
    expect(page.get_by_role("status").first).to_contain_text("Saved")
    expect(page.locator("#client_secret-state")).to_contain_text("Set on")
    expect(page.locator("#refresh_token-state")).to_contain_text("Set on")
    assert client_secret not in page.content()

    step("Test connection with the token: every check passes and a test message is sent")
    page.get_by_label("Send a test message").check()
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#test-summary")).to_have_class("good", timeout=60_000)
    expect(checks.locator('li[data-check="auth"]')).to_have_class("ok")
    message_link = page.locator("#test-summary a").get_attribute("href")
    assert message_link and "/tenants/acme/messages?id=" in message_link, message_link
    message_link = base + message_link
    shot(page, "05-server-test-passed")

    step("the list shows the server, its last test and its secret's expiry")
    page.goto(f"{base}/tenants/acme/servers")
    row = page.locator("#servers tbody tr", has_text="m365")
    expect(row).to_contain_text("127.0.0.1")
    expect(row).to_contain_text("✓")
    expect(row).to_contain_text("days left")
    shot(page, "06-servers")

    step("export CSV, edit the sheet, dry-run, import")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export (CSV)").click()
    path = download_info.value.path()
    text = open(path, encoding="utf-8-sig").read()
    pages_seen.append(("export.csv", text))
    rows = list(csv.DictReader(io.StringIO(text)))
    header = list(rows[0].keys()) if rows else []
    # An export leaves the secret columns out (the template has them); a filled sheet may add one.
    header.append("Password")

    def column(name):
        return next(h for h in header if h == name or h.startswith(name + " ("))

    assert [r[column("Name")] for r in rows] == ["m365"], rows
    rows[0][column("Sender name")] = "Acme Notifications"
    extra = {h: "" for h in header}
    for name, value in (("Name", "relay"), ("Host", "127.0.0.1"), ("Port", str(smtp_port)), ("Security", "starttls"),
                        ("Sender address", "relay@contoso.com"), ("Authentication", "basic"),
                        ("Username", "relay@contoso.com"), ("Password", basic_password)):
        extra[column(name)] = value
    rows.append(extra)
    edited = io.StringIO()
    writer = csv.DictWriter(edited, fieldnames=header)
    writer.writeheader()
    writer.writerows(rows)
    sheet_path = os.path.join(args.work, "servers.csv")
    with open(sheet_path, "w", encoding="utf-8") as f:
        f.write(edited.getvalue())
    page.get_by_role("link", name="Import").click()
    page.get_by_label("Sheet").set_input_files(sheet_path)
    page.get_by_role("button", name="Check the sheet").click()
    table = page.locator("#import-rows")
    expect(table.locator("tr", has_text="m365")).to_contain_text("updated")
    expect(table.locator("tr", has_text="relay")).to_contain_text("created")
    shot(page, "07-import-dry-run")
    sheet_bytes = open(sheet_path, "rb").read()
    assert base64.b64encode(sheet_bytes[:45]).decode() not in page.content(), "the sheet is readable in the page"
    page.get_by_role("button", name="Apply the import").click()
    expect(page.get_by_role("heading", name="Imported")).to_be_visible()
    page.goto(f"{base}/tenants/acme/servers")
    expect(page.locator("#servers")).to_contain_text("relay")
    page.goto(f"{base}/tenants/acme/servers/relay")
    expect(page.locator("#password-state")).to_contain_text("Set on")
    assert basic_password not in page.content()
    shot(page, "08-server-form")

    step("a failure: Test connection of the imported relay, whose password the SMTP server refuses")
    page.get_by_label("Send a test message").uncheck()
    page.get_by_role("button", name="Test connection").click()
    expect(checks.locator('li[data-check="auth"]')).to_have_class("failed", timeout=30_000)
    expect(checks.locator('li[data-check="auth"] .remedy')).to_be_visible()

    step("mail sent through the relay meanwhile waits: the list and the server's page say why and what fixes it")
    sent = subprocess.run([args.mailgate, "send", "--tenant", "acme", "--server", "relay", "--format", "json",
                           "--to", "someone@example.org", "--subject", "Waits for the relay", "--text-file", "-"],
                          input="Hello", text=True, check=True, capture_output=True,
                          env=dict(os.environ, MAILGATE_ADDRESS=rpc_address, MAILGATE_KEY=operator_key))
    waiting_id = json.loads(sent.stdout)["message_id"]
    page.goto(f"{base}/tenants/acme/servers")
    relay_row = page.locator("#servers tbody tr", has_text="relay")
    for _ in range(30):
        if "blocked" in relay_row.inner_text():
            break
        time.sleep(1)
        page.reload()
    expect(relay_row).to_contain_text("blocked: CREDENTIALS_REJECTED")
    expect(page.locator("#servers tbody tr", has_text="m365")).to_contain_text("takes mail")
    page.goto(f"{base}/tenants/acme/servers/relay")
    state = page.locator("#delivery-state")
    expect(state).to_contain_text("CREDENTIALS_REJECTED")
    expect(state).to_contain_text("Its mail waits")
    expect(state).to_contain_text("535")
    shot(page, "09a-server-blocked")
    page.goto(f"{base}/tenants/acme/messages?id={waiting_id}")
    expect(page.locator("#message")).to_contain_text("queued")
    expect(page.locator("#waiting-reason")).to_contain_text("the server cannot take mail (CREDENTIALS_REJECTED)")
    shot(page, "09b-message-waiting")

    step("notification panel: the failure, unread in the header, marked read")
    page.goto(f"{base}/tenants/acme/events")
    badge = page.locator("#unread-count")
    expect(badge).to_be_visible()
    failure = page.locator("#events tbody tr", has_text="server_validation_failed").first
    expect(failure).to_have_class(re.compile("unread"))
    page.get_by_label("Severity at least").select_option("warning")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#events")).to_contain_text("server_validation_failed")
    expect(page.locator("#events")).not_to_contain_text("tenant_created")
    shot(page, "09-notifications")
    page.get_by_role("button", name="Mark all read").click()
    expect(page.locator("#unread-count")).to_have_count(0)
    expect(page.locator("#events tbody tr.unread")).to_have_count(0)

    step("expiring secrets and a message by id")
    page.goto(f"{base}/expiring?within=400")
    expect(page.locator("#expiring")).to_contain_text("m365")
    shot(page, "10-expiring")
    page.goto(message_link)
    for _ in range(30):
        if "sent" in page.locator("#message").inner_text():
            break
        time.sleep(1)
        page.reload()
    expect(page.locator("#message")).to_contain_text("sent")
    expect(page.locator("#message")).to_contain_text("Mailgate test message")
    shot(page, "11-message")

    step("Español")
    page.goto(f"{base}/tenants/acme/servers")
    page.get_by_role("link", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("link", name="Notificaciones")).to_be_visible()
    shot(page, "12-servers-es")
    page.goto(f"{base}/tenants/acme/events")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Notificaciones")
    page.get_by_role("link", name="English").click()

    step("security: CSRF, tenant isolation, revocation")
    refused = context.request.post(f"{base}/tenants", form={"slug": "evil-corp"}, max_redirects=0)
    assert refused.status == 403, refused.status
    refused = context.request.post(f"{base}/tenants", form={"slug": "evil-corp", "csrf": "forged"}, max_redirects=0)
    assert refused.status == 403, refused.status
    page.goto(f"{base}/tenants/acme")
    page.get_by_label("Description").fill("console test tenant key")
    page.get_by_role("button", name="Create key").click()
    tenant_key = page.locator("#secret").input_value()
    assert tenant_key.startswith("mgk_")
    shot(page, "13-key-created")
    pages_seen.pop()  # the one page that shows a key, once, by design
    tenant_context = browser.new_context(locale="pt-BR")
    tenant_page = tenant_context.new_page()
    sign_in_pt(tenant_page, base, tenant_key)
    expect(tenant_page).to_have_url(f"{base}/tenants/acme/servers")
    expect(tenant_page.locator("html")).to_have_attribute("lang", "pt")
    shot(tenant_page, "14-tenant-key-pt")
    for path in ("/tenants/globex/servers", "/tenants/globex/events", "/tenants/globex", "/tenants"):
        response = tenant_page.goto(f"{base}{path}")
        assert response.status in (403, 404), (path, response.status)
        assert "Globex Corp" not in tenant_page.content(), path
    response = tenant_page.goto(f"{base}/tenants/acme/servers/m365")
    assert response.status == 200
    expect(tenant_page.get_by_role("button", name="Salvar")).to_have_count(0)
    key_id = tenant_key.split("_")[1]
    page.goto(f"{base}/tenants/acme")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("tr", has_text=key_id).get_by_role("button", name="Revoke").click()
    expect(page.locator("tr", has_text=key_id)).to_contain_text("Revoked")
    tenant_page.goto(f"{base}/tenants/acme/servers")
    expect(tenant_page).to_have_url(re.compile(r"/sign-in"))
    tenant_context.close()

    step("sign out")
    page.goto(f"{base}/tenants")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in"))
    page.goto(f"{base}/tenants")
    expect(page).to_have_url(re.compile(r"/sign-in"))
    assert not errors, f"the browser console reported errors: {errors}"
    context.close()


def sign_in_pt(page, base, key):
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/sign-in"))
    page.locator("#key").fill(key)
    page.locator("form[action='/sign-in'] button").click()


if __name__ == "__main__":
    try:
        main()
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
