/// Mailgate's `Health/WhoAmI` handler in miniature.
struct Reply: Sendable {
    var keyID: String = String()
    var scope: String = String()
    var tenantSlug: String = String()
}

struct Principal: Sendable {
    enum Scope: Sendable {
        case operator_
        case tenant(slug: String)
    }
    var keyID: String
    var scope: Scope
}

struct MissingPrincipal: Error {}

/// The reply starts with an empty `tenantSlug`, overwritten only for tenant keys. Swift 6.3.1's
/// LLVM dead-store elimination drops the empty string's store on the operator path: in the
/// not-yet-split async function every exit is `llvm.coro.end.async` + `unreachable`, and DSE ignores
/// exits that end in `unreachable`, so a store to the `noalias` indirect result that is overwritten
/// on *some* path looks dead on all of them. The operator's reply then carries whatever the
/// caller's result buffer held before: here the previous call's tenant slug; in Mailgate, freed
/// strings (crashes in protobuf encoding, "No foreign strings on Linux").
func registerWhoAmI(into router: inout Router<Principal>) {
    router.register { context in
        guard let principal = context.principal else { throw MissingPrincipal() }
        var reply = Reply()
        reply.keyID = principal.keyID
        switch principal.scope {
        case .operator_:
            reply.scope = "operator"
        case .tenant(let slug):
            reply.scope = "tenant"
            reply.tenantSlug = slug
        }
        return reply
    }
}
