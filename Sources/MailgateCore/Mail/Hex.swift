/// Hexadecimal digits without `String(format:)`, which is slow on the send path.
public enum Hex {
    private static let lower = Array("0123456789abcdef".utf8)
    private static let upper = Array("0123456789ABCDEF".utf8)

    /// Two hex digits of `byte`.
    static func byte(_ byte: UInt8, uppercase: Bool = false) -> String {
        let digits = uppercase ? Self.upper : Self.lower
        return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
    }

    /// Hex digits of every byte, lowercase.
    public static func string<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var text: [UInt8] = []
        for byte in bytes {
            text.append(Self.lower[Int(byte >> 4)])
            text.append(Self.lower[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
