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
