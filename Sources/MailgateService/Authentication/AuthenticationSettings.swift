/// How authentication guards the database against callers guessing keys.
public struct AuthenticationSettings: Sendable, Hashable {
    /// Failed authentications one client address may make in a row before it must wait.
    public var failureBurst: Int
    /// How fast an address earns failed authentications back, per minute.
    public var failuresPerMinute: Int
    /// How long a key id found unknown is remembered as such, so asking again costs no query.
    public var unknownKeyCacheTTL: Duration

    public init(failureBurst: Int = 20, failuresPerMinute: Int = 60, unknownKeyCacheTTL: Duration = .seconds(10)) {
        self.failureBurst = failureBurst
        self.failuresPerMinute = failuresPerMinute
        self.unknownKeyCacheTTL = unknownKeyCacheTTL
    }
}
