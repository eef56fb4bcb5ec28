/// A generic router: handlers are stored type-erased, so each handler closure returns its
/// reply through an indirect (`@out`) result, as Mailgate's `RPCRouter.register` does.
struct Context<Principal: Sendable>: Sendable {
    var principal: Principal?
}

struct Router<Principal: Sendable>: Sendable {
    private var handler: (@Sendable (Context<Principal>) async throws -> Any)?

    mutating func register<Response>(_ handler: @escaping @Sendable (Context<Principal>) async throws -> Response) {
        self.handler = { context in try await handler(context) }
    }

    func invoke(_ context: Context<Principal>) async throws -> Any {
        try await self.handler!(context)
    }
}
