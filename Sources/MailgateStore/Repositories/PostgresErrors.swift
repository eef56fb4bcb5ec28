import PostgresNIO

extension Error {
    /// The SQLSTATE of a PostgreSQL server error, e.g. `23505` for a unique violation.
    var sqlState: String? {
        (self as? PSQLError)?.serverInfo?[.sqlState]
    }

    var isUniqueViolation: Bool { self.sqlState == "23505" }

    /// A unique violation of the `messages` primary key: the row with this id is stored.
    var isPrimaryKeyViolation: Bool {
        self.isUniqueViolation && (self as? PSQLError)?.serverInfo?[.constraintName] == "messages_pkey"
    }
}

extension AsyncSequence {
    /// Every element, in order.
    func all() async throws -> [Element] {
        var elements: [Element] = []
        for try await element in self { elements.append(element) }
        return elements
    }
}
