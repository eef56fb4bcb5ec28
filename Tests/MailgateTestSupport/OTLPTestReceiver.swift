import Foundation

/// The OTLP/HTTP trace receiver fixture (otlp_receiver.py): takes exports as a collector
/// does and hands back every span received, decoded by the OpenTelemetry protocol's messages.
public final class OTLPTestReceiver: @unchecked Sendable {
    private let process: FixtureProcess
    public var port: Int { self.process.port }
    /// The endpoint for `OTEL_EXPORTER_OTLP_ENDPOINT` (the exporter adds `/v1/traces`).
    public var endpoint: String { "http://127.0.0.1:\(self.port)" }

    public init() throws {
        self.process = try FixtureProcess(script: "otlp_receiver.py", arguments: [])
    }

    /// One exported span, as the receiver decoded it (ids in lowercase hex).
    public struct ReceivedSpan: Decodable, Sendable {
        public let name: String
        public let kind: String
        public let traceID: String
        public let spanID: String
        public let parentSpanID: String
        public let service: String?
        public let serviceVersion: String?
        public let attributes: [String: AttributeValue]
        public let links: [Link]

        enum CodingKeys: String, CodingKey {
            case name, kind, service, attributes, links
            case traceID = "trace_id"
            case spanID = "span_id"
            case parentSpanID = "parent_span_id"
            case serviceVersion = "service_version"
        }
    }

    /// A link from a span to another trace's span.
    public struct Link: Decodable, Sendable {
        public let traceID: String
        public let spanID: String

        enum CodingKeys: String, CodingKey {
            case traceID = "trace_id"
            case spanID = "span_id"
        }
    }

    /// A span attribute's value: OTLP's string, integer, double or boolean.
    public enum AttributeValue: Decodable, Sendable, Equatable {
        case string(String)
        case int(Int)
        case double(Double)
        case bool(Bool)
        case other

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Int.self) {
                self = .int(value)
            } else if let value = try? container.decode(Double.self) {
                self = .double(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else {
                self = .other
            }
        }
    }

    private struct Received: Decodable {
        let spans: [ReceivedSpan]
        let requests: [String: Int]
    }

    /// Every span received so far.
    public func spans() throws -> [ReceivedSpan] { try self.received().spans }

    /// Export requests received so far, by encoding (`protobuf`, `json`).
    public func requests() throws -> [String: Int] { try self.received().requests }

    private func received() throws -> Received {
        let (status, _, body) = try RawHTTP.request("GET", host: "127.0.0.1", port: self.port, path: "/spans")
        guard status == 200 else { throw TestEnvironmentError("GET /spans answered \(status)") }
        return try JSONDecoder().decode(Received.self, from: body)
    }
}
