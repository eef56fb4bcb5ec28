import Foundation
import MailgateProto
import SwiftProtobuf

extension ServerForm {
    /// The server list's delivery cell: takes mail, blocked (with its cause), or paused (the
    /// server asked to slow down, or one of its limits is reached). The title says more.
    static func deliveryCell(of server: Mailgate_V1_OutputServer, language: Language) -> [String: Any] {
        if server.hasDeliveryBlock {
            let block = server.deliveryBlock
            return [
                "delivery": language.text("delivery_blocked", ["reason": block.reason]),
                "deliveryClass": "bad",
                "deliveryDetail": "\(block.detail) — \(block.remedy)",
            ]
        }
        if server.hasPausedUntil {
            return [
                "delivery": language.text("delivery_paused", ["until": Formatting.date(server.pausedUntil)]),
                "deliveryClass": "warn",
                "deliveryDetail": server.pauseReason,
            ]
        }
        return ["delivery": language.text("delivery_ok"), "deliveryClass": "ok", "deliveryDetail": ""]
    }

    /// The server page's notice while its mail waits: why, since when, what fixes it and
    /// when the next attempt comes. Empty while the server takes mail.
    static func deliveryNotice(of server: Mailgate_V1_OutputServer, language: Language) -> [String: Any] {
        if server.hasDeliveryBlock {
            let block = server.deliveryBlock
            return [
                "deliveryBlocked": language.text(
                    "delivery_blocked_notice",
                    [
                        "reason": block.reason, "since": Formatting.date(block.since),
                        "next": block.nextProbeAt.date > Date()
                            ? Formatting.date(block.nextProbeAt) : language.text("delivery_next_now"),
                    ]
                ),
                "deliveryDetail": block.detail,
                "deliveryRemedy": block.remedy,
            ]
        }
        if server.hasPausedUntil {
            return [
                "deliveryPaused": language.text(
                    "delivery_paused_notice",
                    ["until": Formatting.date(server.pausedUntil), "reply": server.pauseReason]
                )
            ]
        }
        return [:]
    }
}
