import Foundation
import MailgateCore
import Testing

@Suite("OAuth: token replies, error classification, PKCE, authorization URLs")
struct OAuthTests {
    static func reply(_ status: Int, _ json: String) -> Result<IssuedToken, TokenEndpointError> {
        TokenEndpointReply.parse(status: status, body: Array(json.utf8))
    }

    @Test("a success body gives the token, its lifetime, the rotated refresh token and the scopes")
    func success() throws {
        let issued = try Self.reply(
            200,
            #"{"token_type":"Bearer","scope":"https://outlook.office.com/SMTP.Send offline_access","expires_in":4339,"access_token":"eyJ0","refresh_token":"0.AX"}"#
        ).get()
        #expect(issued.accessToken.exposedValue == "eyJ0")
        #expect(issued.expiresIn == 4339)
        #expect(issued.refreshToken?.exposedValue == "0.AX")
        #expect(issued.scopes == ["https://outlook.office.com/SMTP.Send", "offline_access"])
        #expect("\(issued.accessToken)" == "<redacted>")
    }

    @Test(
        "Microsoft and Google refusals map to reasons",
        arguments: [
            (
                401,
                #"{"error":"invalid_client","error_description":"AADSTS7000222: The provided client secret keys for app 'x' are expired.","error_codes":[7000222]}"#,
                TokenFailureReason.clientSecretExpired
            ),
            (
                401,
                #"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]}"#,
                .clientSecretInvalid
            ),
            (
                400,
                #"{"error":"unauthorized_client","error_description":"AADSTS700016: Application with identifier 'x' was not found","error_codes":[700016]}"#,
                .clientIDUnknown
            ),
            (
                400,
                #"{"error":"invalid_request","error_description":"AADSTS90002: Tenant 'x' not found.","error_codes":[90002]}"#,
                .directoryNotFound
            ),
            (
                400,
                #"{"error":"invalid_grant","error_description":"AADSTS700082: The refresh token has expired due to inactivity.","error_codes":[700082]}"#,
                .consentRequired
            ),
            (
                400, #"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#,
                .consentRequired
            ),
            (
                400,
                #"{"error":"invalid_scope","error_description":"AADSTS70011: The provided value for the input parameter 'scope' is not valid."}"#,
                .scopeInvalid
            ),
            (500, #"{"error":"server_error","error_codes":[90006]}"#, .endpointUnavailable),
            (
                400,
                #"{"error":"invalid_request","error_description":"AADSTS50033: A transient error has occurred.","error_codes":[50033]}"#,
                .endpointUnavailable
            ),
            (503, "<html>Service Unavailable</html>", .endpointUnavailable),
            (400, #"{"error":"unsupported_grant_type"}"#, .requestRejected),
            (404, "<html>Not Found</html>", .requestRejected),
            (302, "", .requestRejected),
            (429, "", .endpointUnavailable),
        ]
    )
    func classification(status: Int, body: String, reason: TokenFailureReason) {
        guard case .failure(let error) = Self.reply(status, body) else {
            Issue.record("parsed as a success")
            return
        }
        #expect(TokenFailure.classify(error).reason == reason)
    }

    @Test("AADSTS codes are read from the description when error_codes is missing; only invalid_grant earns a retry")
    func descriptionCodes() throws {
        guard
            case .failure(let error) = Self.reply(
                401,
                #"{"error":"invalid_client","error_description":"AADSTS7000222: expired.\r\nTrace ID: 1"}"#
            )
        else {
            Issue.record("parsed as a success")
            return
        }
        #expect(error.errorCodes == [7000222])
        #expect(error.description == "AADSTS7000222: expired.")
        #expect(!TokenFailure.classify(error).deservesOneRetry)
        guard case .failure(let grant) = Self.reply(400, #"{"error":"invalid_grant"}"#) else { return }
        #expect(TokenFailure.classify(grant).deservesOneRetry)
    }

    @Test("PKCE S256 matches RFC 7636's example; states are 256 random bits")
    func pkce() {
        #expect(
            PKCE.challenge(for: Secret("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"))
                == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        )
        let state = PKCE.makeState()
        #expect(state.count == 43)
        #expect(state != PKCE.makeState())
        #expect(PKCE.makeVerifier().exposedValue.count == 43)
    }

    @Test("authorization URLs carry PKCE and state; Google's ask for offline access with consent")
    func authorizationURL() throws {
        var oauth = ServerDefinition(name: "g", oauth: .init(provider: .google, clientID: "id.apps", scopes: []))
        ProviderPresets.apply(to: &oauth)
        let google = AuthorizationRequest(
            oauth: oauth.oauth!,
            redirectURI: "http://localhost:9090/oauth/callback",
            state: "s1",
            codeChallenge: "c1"
        ).url
        let components = try #require(URLComponents(string: google))
        let query = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(google.hasPrefix("https://accounts.google.com/o/oauth2/v2/auth?"))
        #expect(query["access_type"] == "offline" && query["prompt"] == "consent")
        #expect(query["code_challenge_method"] == "S256" && query["code_challenge"] == "c1" && query["state"] == "s1")
        #expect(query["redirect_uri"] == "http://localhost:9090/oauth/callback")
        // OpenID Connect's scopes too: the reply must name the account that consented.
        #expect(query["scope"] == "https://mail.google.com/ openid email")
    }

    @Test("the account an id_token names: email, preferred_username and upn, from its payload")
    func idTokenAccounts() {
        func part(_ object: String) -> String {
            Data(object.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let token =
            part(#"{"alg":"RS256"}"#) + "."
            + part(#"{"preferred_username":"Mail@Contoso.com","upn":"mail@contoso.com","name":"M"}"#) + ".c2ln"
        let reply = #"{"access_token":"at","token_type":"Bearer","id_token":"\#(token)"}"#
        guard case .success(let issued) = TokenEndpointReply.parse(status: 200, body: Array(reply.utf8)) else {
            Issue.record("not parsed")
            return
        }
        #expect(issued.signedInAs == ["Mail@Contoso.com", "mail@contoso.com"])
        guard
            case .success(let plain) = TokenEndpointReply.parse(
                status: 200,
                body: Array(#"{"access_token":"at"}"#.utf8)
            )
        else { return }
        #expect(plain.signedInAs.isEmpty)
    }

    @Test("token request forms: Google gets no scope; secrets travel only in the form")
    func forms() {
        let microsoft = ServerDefinition.OAuth(
            provider: .microsoft,
            clientID: "c",
            scopes: ["https://outlook.office365.com/.default"]
        )
        let fields = Dictionary(
            uniqueKeysWithValues: TokenGrant.clientCredentials.formFields(oauth: microsoft, clientSecret: Secret("s"))
        )
        #expect(
            fields == [
                "client_id": "c", "grant_type": "client_credentials", "scope": "https://outlook.office365.com/.default",
                "client_secret": "s",
            ]
        )
        let google = ServerDefinition.OAuth(provider: .google, clientID: "c", scopes: ["https://mail.google.com/"])
        let refresh = Dictionary(
            uniqueKeysWithValues: TokenGrant.refreshToken(Secret("r")).formFields(
                oauth: google,
                clientSecret: Secret("s")
            )
        )
        #expect(refresh["scope"] == nil && refresh["refresh_token"] == "r")
        #expect(FormEncoding.encode([("a b", "x/y+z~")]) == "a%20b=x%2Fy%2Bz~")
        #expect(FormEncoding.decode("code=a%2Fb&state=x+y") == ["code": "a/b", "state": "x y"])
    }

    @Test("a pasted redirect address is read for its code, and only with this consent's state")
    func pastedCode() {
        #expect(
            AuthorizationRequest.code(pasted: "http://localhost:7588/oauth/callback?code=abc&state=s1", state: "s1")
                == "abc"
        )
        #expect(
            AuthorizationRequest.code(pasted: "http://localhost:7588/oauth/callback?code=abc&state=other", state: "s1")
                == nil
        )
        #expect(AuthorizationRequest.code(pasted: "M.C105_BAY.2.U.abc", state: "s1") == "M.C105_BAY.2.U.abc")
        #expect(AuthorizationRequest.code(pasted: "", state: "s1") == nil)
    }
}
