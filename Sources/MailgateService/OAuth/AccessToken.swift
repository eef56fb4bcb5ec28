import Foundation
import MailgateCore

/// An access token ready for XOAUTH2, and where it came from.
public struct AccessToken: Sendable {
    public var value: Secret
    public var expiresAt: Date
    public var scopes: [String]
    /// The provider issued a new refresh token with it (stored; the old one dropped).
    public var refreshTokenRotated: Bool
    /// Taken from the cache rather than requested now.
    public var cached: Bool
}

extension AccessToken {
    /// A token just issued at `now`: an hour when the endpoint gave no `expires_in`, and
    /// the requested scopes when it named none.
    init(issued: IssuedToken, now: Date, requestedScopes: [String], refreshTokenRotated: Bool) {
        self.init(
            value: issued.accessToken,
            expiresAt: now.addingTimeInterval(TimeInterval(issued.expiresIn ?? 3600)),
            scopes: issued.scopes.isEmpty ? requestedScopes : issued.scopes,
            refreshTokenRotated: refreshTokenRotated,
            cached: false
        )
    }
}
