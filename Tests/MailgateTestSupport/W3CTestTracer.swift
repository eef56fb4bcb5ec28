import InMemoryTracing
import Tracing

/// A tracer that keeps spans in memory, as `InMemoryTracer` does, and propagates the
/// W3C `traceparent` header (`00-<trace id>-<span id>-<flags>`) the way a production
/// tracer (OpenTelemetry's W3C propagator) does, so tests see which spans continue a
/// caller's trace.
public struct W3CTestTracer: Tracer {
    public typealias Span = InMemorySpan

    /// The spans; copies of this tracer share them.
    public let memory = InMemoryTracer(
        idGenerator: .init(
            nextTraceID: { randomHex(bytes: 16) },
            nextSpanID: { randomHex(bytes: 8) }
        )
    )

    public init() {}

    public var finishedSpans: [FinishedInMemorySpan] { self.memory.finishedSpans }

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> ServiceContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> InMemorySpan {
        self.memory.startSpan(
            operationName,
            context: context(),
            ofKind: kind,
            at: instant(),
            function: function,
            file: fileID,
            line: line
        )
    }

    public func forceFlush() { self.memory.forceFlush() }

    public func inject<Carrier, Inject: Injector>(
        _ context: ServiceContext,
        into carrier: inout Carrier,
        using injector: Inject
    )
    where Inject.Carrier == Carrier {
        guard let span = context.inMemorySpanContext else { return }
        injector.inject("00-\(span.traceID)-\(span.spanID)-01", forKey: "traceparent", into: &carrier)
    }

    public func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier,
        into context: inout ServiceContext,
        using extractor: Extract
    )
    where Extract.Carrier == Carrier {
        guard let header = extractor.extract(key: "traceparent", from: carrier) else { return }
        let fields = header.split(separator: "-")
        guard fields.count == 4, fields[0] == "00", fields[1].count == 32, fields[2].count == 16,
            fields[1].allSatisfy(\.isHexDigit), fields[2].allSatisfy(\.isHexDigit)
        else { return }
        context.inMemorySpanContext = InMemorySpanContext(
            traceID: String(fields[1]),
            spanID: String(fields[2]),
            parentSpanID: nil
        )
    }
}

/// `bytes` random bytes as lowercase hex: W3C trace (16) and span (8) ids.
private func randomHex(bytes: Int) -> String {
    (0..<bytes).map { _ in
        let byte = UInt8.random(in: 0...255)
        return (byte < 16 ? "0" : "") + String(byte, radix: 16)
    }.joined()
}
