/// The sealed secrets of an output server, by column. The raw value is the column's
/// name, part of each seal's additional data.
public enum SecretColumn: String, Sendable, Hashable, CaseIterable {
    case password
    case clientSecret = "client_secret"
    case refreshToken = "refresh_token"
    case accessToken = "access_token"
}
