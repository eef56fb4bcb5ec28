import Foundation
import MailgateCore

extension ServerRepository {
    /// A server that is not stored, for ValidateServer on a draft: `definition` with
    /// `changes` applied over `existing`'s secrets, sealed in memory exactly as a put seals
    /// them (under `existing`'s id when there is one, so its kept secrets open). Nothing is
    /// written; the record never reaches the table.
    public func draft(
        tenantID: UUID,
        existing: ServerRecord?,
        definition: ServerDefinition,
        changes: SecretChanges,
        now: Date = Date()
    ) -> ServerRecord {
        let id = existing?.id ?? UUID()
        let write = self.sealedWrite(
            id: id,
            tenantID: tenantID,
            existing: existing,
            definition: definition,
            changes: changes,
            now: now
        )
        var sealed: [SecretColumn: String] = [:]
        for (column, value) in write.columns {
            if let envelope = value.sealed { sealed[column] = envelope }
        }
        func metadata(_ column: SecretColumn, expiresAt: Date? = nil, source: ExpiryDateSource? = nil)
            -> SecretMetadata
        {
            let written = write.columns[column]
            return SecretMetadata(
                isSet: written?.sealed != nil,
                setAt: written?.setAt,
                expiresAt: written?.sealed != nil ? expiresAt : nil,
                expirySource: written?.sealed != nil ? source : nil
            )
        }
        return ServerRecord(
            id: id,
            tenantID: tenantID,
            definition: definition,
            password: metadata(.password),
            clientSecret: metadata(
                .clientSecret,
                expiresAt: write.clientSecretExpiresAt,
                source: write.clientSecretExpirySource
            ),
            refreshToken: metadata(.refreshToken),
            accessToken: metadata(.accessToken, expiresAt: write.accessTokenExpiresAt),
            version: existing?.version ?? 0,
            lastValidation: "",
            lastValidationOK: nil,
            lastValidatedAt: nil,
            createdAt: existing?.createdAt ?? now,
            updatedAt: now,
            tokenState: write.resetsTokenState ? TokenState() : existing?.tokenState ?? TokenState(),
            secretDiscoveryProblem: "",
            sealed: sealed
        )
    }
}
