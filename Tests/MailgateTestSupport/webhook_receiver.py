"""A real HTTP webhook receiver for tests: records every POST it gets (path, headers, body)
and answers 204, or refuses the next N with a status of the test's choosing, or answers 200
with a body of N bytes ({"answer_bytes": N}).

Control (for tests): GET /_requests (the recorded requests as JSON, bodies base64),
POST /_control {"refuse": N, "status": 500, "retry_after": "1"} (retry_after optional).
Prints "READY <port>" once listening."""
import base64, json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
requests = []
refusals = {"count": 0, "status": 500, "retry_after": None}
answer = {"bytes": 0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        if self.path == "/_requests":
            with lock:
                body = json.dumps(requests).encode()
            self.reply(200, body, [("Content-Type", "application/json")])
        else:
            self.reply(404)

    def do_POST(self):
        body = self.read_body()
        if self.path == "/_control":
            command = json.loads(body or b"{}")
            with lock:
                refusals["count"] = int(command.get("refuse", 0))
                refusals["status"] = int(command.get("status", 500))
                refusals["retry_after"] = command.get("retry_after")
                answer["bytes"] = int(command.get("answer_bytes", 0))
            self.reply(204)
            return
        with lock:
            refused = refusals["count"] > 0
            if refused:
                refusals["count"] -= 1
            status = refusals["status"] if refused else (200 if answer["bytes"] else 204)
            retry_after = refusals["retry_after"] if refused else None
            requests.append({
                "path": self.path,
                "headers": {name.lower(): value for name, value in self.headers.items()},
                "body": base64.b64encode(body).decode(),
                "answered": status,
            })
        headers = [("Retry-After", retry_after)] if retry_after else []
        body = b"refused by the test receiver" if refused else b"x" * answer["bytes"]
        self.reply(status, body, headers)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"READY {server.server_address[1]}", flush=True)
server.serve_forever()
