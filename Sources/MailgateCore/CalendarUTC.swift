import Foundation

extension Calendar {
    /// The Gregorian calendar in UTC: Mailgate's dates (secret expiry days, the estimated
    /// 24-month lifetime) are days and months, not local instants.
    public static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
