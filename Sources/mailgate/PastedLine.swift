import Dispatch
import Foundation
import Synchronization

/// One line an operator may paste at the terminal while a command waits for something
/// else. `next()` returns when the line arrives, or nil at once when standard input is
/// not a terminal or the waiting task is cancelled (the reader thread is abandoned).
final class PastedLine: Sendable {
    private struct State {
        var line: String??
        var waiter: CheckedContinuation<String?, Never>?
    }

    private let state = Mutex(State())

    init() {
        guard isatty(STDIN_FILENO) == 1 else {
            self.deliver(nil)
            return
        }
        DispatchQueue.global().async {
            self.deliver(readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces))
        }
    }

    func next() async -> String? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready: String?? = self.state.withLock { state in
                    if let line = state.line { return line }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            self.deliver(nil)
        }
    }

    private func deliver(_ line: String?) {
        let waiter = self.state.withLock { state -> CheckedContinuation<String?, Never>? in
            guard state.line == nil else { return nil }
            state.line = .some(line)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: line)
    }
}
