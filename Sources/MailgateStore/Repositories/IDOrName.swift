import Foundation

/// How "id or name" arguments are looked up: a UUID matches the `id` column, anything
/// else the name column (names and slugs are never UUIDs, so the two cannot collide).
struct IDOrName {
    /// The column to compare, as raw SQL.
    let column: String
    /// The value to bind.
    let value: String

    init(_ text: String, nameColumn: String) {
        if let id = UUID(uuidString: text) {
            (self.column, self.value) = ("id::text", id.uuidString.lowercased())
        } else {
            (self.column, self.value) = (nameColumn, text)
        }
    }
}
