import Foundation
import MailgateCore
import SwiftProtobuf

/// Dates as the pages show them: UTC, the same in every language.
enum Formatting {
    /// `2026-12-06 18:30 UTC`; empty for an unset timestamp.
    static func date(_ timestamp: Google_Protobuf_Timestamp?) -> String {
        guard let timestamp, timestamp.seconds != 0 || timestamp.nanos != 0 else { return "" }
        return self.date(timestamp.date)
    }

    static func date(_ date: Date) -> String {
        let parts = Calendar.utc.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d UTC",
            parts.year ?? 0,
            parts.month ?? 0,
            parts.day ?? 0,
            parts.hour ?? 0,
            parts.minute ?? 0
        )
    }

    /// `yyyy-MM-dd`, as a date input holds it.
    static func day(_ timestamp: Google_Protobuf_Timestamp?) -> String {
        guard let timestamp, timestamp.seconds != 0 else { return "" }
        let parts = Calendar.utc.dateComponents([.year, .month, .day], from: timestamp.date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// A date input's `yyyy-MM-dd` as the last second of that day, UTC.
    static func endOfDay(_ text: String) -> Date? {
        let fields = text.split(separator: "-").compactMap { Int($0) }
        guard fields.count == 3, text.count == 10,
            let start = Calendar.utc.date(from: DateComponents(year: fields[0], month: fields[1], day: fields[2])),
            Calendar.utc.component(.day, from: start) == fields[2]
        else { return nil }
        return start.addingTimeInterval(86399)
    }
}
