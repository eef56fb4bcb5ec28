import Foundation

/// Percent-encoding for what the console puts into its own URLs.
enum URLPath {
    /// One path segment: a server name may hold `/`, `?`, `#`, spaces or any letter.
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~")))
            ?? text
    }

    /// A path of this console carried as a query value (`/sign-in?next=`).
    static func queryValue(_ path: String) -> String {
        path.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "/-_.~")))
            ?? "/"
    }
}
