"""A small OTLP/HTTP trace receiver for the tests: takes POST /v1/traces as a collector does
(application/x-protobuf or application/json, gzip or not), decodes it with the OpenTelemetry
protocol's own messages (opentelemetry-proto), and answers GET /spans with every span received,
as JSON: name, kind, trace_id, span_id, parent_span_id (hex), status, attributes, links,
service.

Prints "READY <port>" once it listens.
"""

import argparse
import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

spans = []
requests = {"protobuf": 0, "json": 0}
lock = threading.Lock()


def attribute_value(value):
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def decoded_spans(request):
    for resource_spans in request.resource_spans:
        resource = {a.key: attribute_value(a.value) for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield {
                    "name": span.name,
                    "kind": Span.SpanKind.Name(span.kind),
                    "trace_id": span.trace_id.hex(),
                    "span_id": span.span_id.hex(),
                    "parent_span_id": span.parent_span_id.hex(),
                    "status": {"code": span.status.code, "message": span.status.message},
                    "attributes": {a.key: attribute_value(a.value) for a in span.attributes},
                    "links": [{"trace_id": l.trace_id.hex(), "span_id": l.span_id.hex()} for l in span.links],
                    "service": resource.get("service.name"),
                    "service_version": resource.get("service.version"),
                }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/v1/traces":
            return self.reply(404, b"", "text/plain")
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        request = ExportTraceServiceRequest()
        is_json = self.headers.get("Content-Type", "").startswith("application/json")
        try:
            if is_json:
                json_format.Parse(body, request)
            else:
                request.ParseFromString(body)
        except Exception as error:  # a malformed export is the exporter's bug: say so
            return self.reply(400, str(error).encode(), "text/plain")
        with lock:
            spans.extend(decoded_spans(request))
            requests["json" if is_json else "protobuf"] += 1
        if is_json:
            self.reply(200, b"{}", "application/json")
        else:
            self.reply(200, ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf")

    def do_GET(self):
        if self.path != "/spans":
            return self.reply(404, b"", "text/plain")
        with lock:
            body = json.dumps({"spans": spans, "requests": requests}).encode()
        self.reply(200, body, "application/json")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    arguments = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", arguments.port), Handler)
    print(f"READY {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
