import Logging

extension Logger {
    /// This logger for a library's own background lines (PostgresNIO's pool: "run ping pong",
    /// "Creating new connection"): the same handler and metadata, but never below `info`, so
    /// a debug console shows Mailgate's lines rather than a connection pool's chatter.
    package var forLibraries: Logger {
        var logger = self
        logger.logLevel = max(self.logLevel, .info)
        return logger
    }
}
