#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Calls the handler for an operator and a tenant in turn; every operator reply must have an empty
/// tenant slug. Exits 0 and prints `ok` when the code is compiled correctly, 1 otherwise.
var router = Router<Principal>()
registerWhoAmI(into: &router)
// A literal (immortal) slug: a stale copy is wrong but cannot crash the check.
let tenant = Principal(keyID: "tenant-key", scope: .tenant(slug: "a-tenant-slug-longer-than-fifteen-bytes"))
let operator_ = Principal(keyID: "operator-key", scope: .operator_)
var wrong = 0
for _ in 0..<1_000 {
    _ = try await router.invoke(Context(principal: tenant))
    let reply = try await router.invoke(Context(principal: operator_)) as! Reply
    if !reply.tenantSlug.isEmpty || reply.scope != "operator" { wrong += 1 }
}
if wrong == 0 {
    print("ok")
    exit(0)
}
print("miscompiled: \(wrong) of 1000 operator replies carried a stale tenant slug")
exit(1)
