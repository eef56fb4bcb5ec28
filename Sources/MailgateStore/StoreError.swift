/// An error of the database layer. Its description never carries SQL, server
/// messages or values, so it is safe to show; the underlying cause is kept for logs.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case migrationsNotFound, invalidMigration, migrationTampered, unknownAppliedMigration
            case migrationFailed, invalidDatabaseURL, unavailable
            case notFound, alreadyExists, versionMismatch, secretUnreadable, invalidState, concurrentUpdate
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

        /// The object does not exist (or belongs to another tenant).
        public static let notFound = Code(.notFound)
        /// An object with the same unique name exists.
        public static let alreadyExists = Code(.alreadyExists)
        /// The caller's expected version is stale.
        public static let versionMismatch = Code(.versionMismatch)
        /// A sealed secret cannot be opened with the key ring.
        public static let secretUnreadable = Code(.secretUnreadable)
        /// The object is not in a state that allows the operation (e.g. cancelling a sent message).
        public static let invalidState = Code(.invalidState)
        /// The change collided with a concurrent one (serialization failure, deadlock): retry it.
        public static let concurrentUpdate = Code(.concurrentUpdate)

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
