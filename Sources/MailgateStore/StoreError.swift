/// An error of the database layer. Its description never carries SQL, server
/// messages or values, so it is safe to show; the underlying cause is kept for logs.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case migrationsNotFound, invalidMigration, migrationTampered, unknownAppliedMigration
            case migrationFailed, invalidDatabaseURL, unavailable
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The migrations folder is missing or unreadable.
        public static let migrationsNotFound = Code(.migrationsNotFound)
        /// A migration file is misnamed, unreadable, or numbered twice.
        public static let invalidMigration = Code(.invalidMigration)
        /// An applied migration's file changed since it was applied.
        public static let migrationTampered = Code(.migrationTampered)
        /// The database has a migration this build does not know (it is newer).
        public static let unknownAppliedMigration = Code(.unknownAppliedMigration)
        /// A migration's SQL failed; nothing of it was applied.
        public static let migrationFailed = Code(.migrationFailed)
        /// The database URL cannot be parsed.
        public static let invalidDatabaseURL = Code(.invalidDatabaseURL)
        /// The database cannot be reached.
        public static let unavailable = Code(.unavailable)

        public var description: String { self.base.rawValue }
    }

    public let code: Code
    public let message: String
    /// The original error, for logs only.
    public let underlying: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { self.message }
}
