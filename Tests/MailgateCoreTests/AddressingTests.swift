import Foundation
import MailgateCore
import Testing

@Suite("Domain names")
struct DomainNameTests {
    @Test(
        "Unicode labels are converted to their Punycode A-label",
        arguments: [
            ("bücher.example", "xn--bcher-kva.example"),
            ("münchen.de", "xn--mnchen-3ya.de"),
            ("пример.example", "xn--e1afmkfd.example"),
            ("日本語.jp", "xn--wgv71a119e.jp"),
            ("straße.de", "xn--strae-oqa.de"),
            ("ñ.example", "xn--ida.example"),
            ("bücherbücher.example", "xn--bcherbcher-9dbf.example"),
            ("mail.bücher.example", "mail.xn--bcher-kva.example"),
        ]
    )
    func punycode(input: String, expected: String) throws {
        let name = try #require(DomainName(input))
        #expect(name.ascii == expected)
        #expect(name.description == expected)
    }

    @Test("names are lowercased, Unicode ones included")
    func lowercased() throws {
        #expect(try #require(DomainName("Mail.EXAMPLE.Com")).ascii == "mail.example.com")
        #expect(try #require(DomainName("BÜCHER.example")).ascii == "xn--bcher-kva.example")
    }

    @Test("an ASCII name is kept as it is and a trailing root dot is dropped")
    func asciiUnchanged() throws {
        #expect(try #require(DomainName("smtp-1.example.com")).ascii == "smtp-1.example.com")
        #expect(try #require(DomainName("example.com.")).ascii == "example.com")
        #expect(try #require(DomainName("localhost")).ascii == "localhost")
        #expect(try #require(DomainName("123.example")).ascii == "123.example")
    }

    @Test("a label of exactly 63 characters is accepted")
    func longestLabel() {
        #expect(DomainName(String(repeating: "a", count: 63) + ".example") != nil)
    }

    @Test(
        "invalid domain names are refused",
        arguments: [
            "", ".", "a..b", ".example.com", "example..com",
            String(repeating: "a", count: 64) + ".example",
            "-leading.example", "trailing-.example", "example.-com", "example.com-",
            "under_score.example", "space here.example", "tab\t.example",
            "1.2.3", "192.0.2.1", "example.123",
            "a@b.example", "slash/.example",
        ]
    )
    func invalid(text: String) {
        #expect(DomainName(text) == nil)
    }

    @Test("a name longer than 253 characters is refused")
    func tooLong() {
        let label = String(repeating: "a", count: 63)
        // 4 labels of 63 + 3 dots = 255 characters.
        let long = [label, label, label, label].joined(separator: ".")
        #expect(DomainName(long) == nil)
        // 3 labels of 63 + "com" + 3 dots = 195 characters: fine.
        #expect(DomainName([label, label, label, "com"].joined(separator: ".")) != nil)
    }
}

@Suite("Host names")
struct HostNameTests {
    @Test("IPv4 addresses are recognised as such")
    func ipv4() {
        #expect(HostName("192.0.2.1") == .ipv4("192.0.2.1"))
        #expect(HostName("0.0.0.0") == .ipv4("0.0.0.0"))
        #expect(HostName("255.255.255.255") == .ipv4("255.255.255.255"))
        #expect(HostName("192.0.2.1")?.description == "192.0.2.1")
    }

    @Test(
        "IPv6 addresses are accepted with or without brackets and stored without them, lowercase",
        arguments: [
            ("::1", "::1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("2001:db8:0:0:0:0:0:1", "2001:db8:0:0:0:0:0:1"),
            ("2001:DB8::ABCD", "2001:db8::abcd"),
            ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
            ("fe80::", "fe80::"),
        ]
    )
    func ipv6(input: String, expected: String) throws {
        let host = try #require(HostName(input))
        #expect(host == .ipv6(expected))
        #expect(host.description == expected)
    }

    @Test("domain names are accepted and normalised to ASCII")
    func domain() throws {
        let host = try #require(HostName("SMTP.Bücher.example"))
        #expect(host.description == "smtp.xn--bcher-kva.example")
        guard case .domain(let name) = host else {
            Issue.record("expected a domain, got \(host)")
            return
        }
        #expect(name.ascii == "smtp.xn--bcher-kva.example")
    }

    @Test(
        "malformed hosts are refused",
        arguments: [
            "", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1.2.3.",
            "2001:db8:::1", "1::2::3", "2001:db8:0:0:0:0:0:0:1", "1:2:3:4:5:6:7:8::",
            "2001:db8::g", "12345::1", ":1:2:3:4:5:6:7:8", "[::1",
            "host name", " leading", "trailing ", "under_score.example", "-bad.example",
        ]
    )
    func invalid(text: String) {
        #expect(HostName(text) == nil)
    }
}

@Suite("Email addresses")
struct EmailAddressTests {
    @Test(
        "well-formed addresses are accepted unchanged",
        arguments: [
            "a@example.com",
            "first.last+tag@sub.example.co.uk",
            "\"quoted..local\"@example.com",
            "\"with\\\"escaped\\\"quote\"@example.com",
            "user@[192.0.2.1]",
            "user@localhost",
            "o'brien!#$%&*=?^_`{|}~-/@example.com",
        ]
    )
    func valid(text: String) throws {
        let address = try #require(EmailAddress(text))
        #expect(address.description == text)
        #expect(!address.requiresSMTPUTF8)
    }

    @Test("local part and domain are split at the last @")
    func parts() throws {
        let address = try #require(EmailAddress("\"a@b\"@example.com"))
        #expect(address.localPart == "\"a@b\"")
        #expect(address.domain == "example.com")
    }

    @Test("a non-ASCII local part is accepted and needs SMTPUTF8")
    func unicodeLocalPart() throws {
        let address = try #require(EmailAddress("ünïcode@example.com"))
        #expect(address.localPart == "ünïcode")
        #expect(address.requiresSMTPUTF8)
    }

    @Test("an IDN domain is converted to ASCII and lowercased, the local part is kept as typed")
    func idnDomain() throws {
        let address = try #require(EmailAddress("Info@Bücher.Example"))
        #expect(address.domain == "xn--bcher-kva.example")
        #expect(address.localPart == "Info")
        #expect(address.description == "Info@xn--bcher-kva.example")
        #expect(!address.requiresSMTPUTF8)
    }

    @Test("an IPv6 address literal needs the IPv6: tag")
    func ipv6Literal() throws {
        let address = try #require(EmailAddress("user@[IPv6:2001:DB8::1]"))
        #expect(address.domain == "[ipv6:2001:db8::1]")
        #expect(EmailAddress("user@[2001:db8::1]") == nil)
        #expect(EmailAddress("user@[IPv6:2001:db8:::1]") == nil)
        #expect(EmailAddress("user@[256.0.0.1]") == nil)
    }

    @Test(
        "malformed addresses are refused",
        arguments: [
            "", "no-at", "a@", "@example.com", "a..b@example.com", ".a@example.com", "a.@example.com",
            "a@example.com\r\nBcc: x@y.z", "a@example.com\nBcc: x@y.z",
            String(repeating: "a", count: 65) + "@example.com",
            "a b@example.com", "a@nodot", "a@exa mple.com", "a@-example.com", "a@example..com",
            "a(comment)@example.com", "Name <a@example.com>", "\"unterminated@example.com",
            "\"bad\"quote\"@example.com", "\"line\nbreak\"@example.com", "a@1.2.3", "a\u{0085}b@example.com",
            // Quoted local parts: nothing that ends the SMTP path or hides in it.
            "\"quoted local\"@example.com", "\"a<b\"@example.com", "\"a>b\"@example.com",
            "\"<x@evil.example>\"@example.com",
            "\"a\u{202E}b\"@example.com", "\"a\u{2029}b\"@example.com",
            // Bidi and format controls, separators and invisible spaces, quoted or not.
            "a\u{202E}moc.b@example.com", "a\u{2028}b@example.com", "a\u{200B}b@example.com",
            "a\u{00A0}b@example.com", "a\u{3000}b@example.com", "\u{FEFF}a@example.com",
        ]
    )
    func invalid(text: String) {
        #expect(EmailAddress(text) == nil)
    }

    @Test("a local part of exactly 64 octets is accepted, 65 is not")
    func localPartLimit() {
        #expect(EmailAddress(String(repeating: "a", count: 64) + "@example.com") != nil)
        #expect(EmailAddress(String(repeating: "a", count: 65) + "@example.com") == nil)
        // 64 octets measured in UTF-8: 32 two-byte characters fit, 33 do not.
        #expect(EmailAddress(String(repeating: "é", count: 32) + "@example.com") != nil)
        #expect(EmailAddress(String(repeating: "é", count: 33) + "@example.com") == nil)
    }

    @Test("an address longer than 254 octets is refused")
    func totalLimit() {
        let label = String(repeating: "d", count: 60)
        let domain = [label, label, label, "example"].joined(separator: ".")  // 190 characters
        let fits = String(repeating: "a", count: 63) + "@" + domain  // 254
        let tooLong = String(repeating: "a", count: 64) + "@" + domain  // 255
        #expect(fits.utf8.count == 254)
        #expect(EmailAddress(fits) != nil)
        #expect(EmailAddress(tooLong) == nil)
    }
}
