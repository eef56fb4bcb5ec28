import Foundation
import MailgateCore
import Testing

@Suite("Time-ordered message ids (UUIDv7)")
struct TimeOrderedUUIDTests {
    @Test("version 7, RFC 4122 variant, the time in the first 48 bits")
    func layout() {
        let now = Date(timeIntervalSince1970: 1_796_000_000.123)
        let id = UUID.timeOrdered(at: now)
        let text = id.uuidString.lowercased()
        #expect(Array(text)[14] == "7")
        #expect("89ab".contains(Array(text)[19]))
        let milliseconds = text.replacingOccurrences(of: "-", with: "").prefix(12)
        #expect(UInt64(milliseconds, radix: 16) == 1_796_000_000_123)
    }

    @Test("ids made in later milliseconds sort after earlier ones, as PostgreSQL compares uuids (bytewise)")
    func ordering() {
        let start = Date()
        // 2 ms apart: each in a millisecond of its own (within one, the random part decides).
        let ids = (0..<1000).map { UUID.timeOrdered(at: start.addingTimeInterval(Double($0) * 0.002)) }
        let bytes = ids.map { withUnsafeBytes(of: $0.uuid) { Array($0) } }
        let sorted = bytes.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(sorted == bytes)
        #expect(Set(ids).count == ids.count)
    }
}
