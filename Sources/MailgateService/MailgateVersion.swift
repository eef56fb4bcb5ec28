/// The version this build reports in `Health/Check` and `mailgate --version`.
public enum MailgateVersion {
    public static let current = "0.1.0"
}
