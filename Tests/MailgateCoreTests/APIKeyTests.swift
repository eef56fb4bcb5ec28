import MailgateCore
import Testing

@Suite("API keys")
struct APIKeyTests {
    @Test("a generated key has 256 bits of secret, parses back, and matches its own hash only")
    func generated() throws {
        let key = APIKey.generate()
        #expect(key.secret.exposedValue.count == 64)
        let presented = key.presentedForm.exposedValue
        #expect(presented.hasPrefix("mgk_\(key.id)_"))
        let parsed = try #require(APIKey(parsing: presented))
        #expect(parsed == key)
        #expect(parsed.matches(storedHash: key.secretHash))
        #expect(!APIKey.generate().matches(storedHash: key.secretHash))
    }

    @Test("two generated keys differ")
    func unique() {
        let keys = Set((0..<100).map { _ in APIKey.generate().presentedForm.exposedValue })
        #expect(keys.count == 100)
    }

    @Test(
        "malformed keys are refused",
        arguments: [
            "", "mgk_", "mgk_abc", "mgk__0123456789abcdef", "xyz_abc_0123456789abcdef", "mgk_abc_short",
            "mgk_a b_0123456789abcdef", "mgk_abc_0123456789abcdef\n", "MGK_abc_0123456789abcdef",
        ]
    )
    func malformed(text: String) {
        #expect(APIKey(parsing: text) == nil)
    }

    @Test("descriptions never show the secret")
    func redacted() {
        let key = APIKey.generate()
        #expect(!"\(key)".contains(key.secret.exposedValue))
        #expect("\(key.secret)" == "<redacted>")
        #expect(String(reflecting: key.presentedForm) == "<redacted>")
    }

    @Test("constant-time comparison agrees with ==")
    func constantTime() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
    }
}
