import Foundation

/// Shell quoting and path checks for the fixed remote command templates: nothing from a request
/// reaches a remote shell unquoted.
package enum ShellArgument {
    /// `'…'` with every `'` written as `'\''`: the shell reads the text back exactly.
    package static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// A remote path: absolute, without NUL or line breaks, at most 4096 bytes.
    package static func validatePath(_ path: String, field: String) throws(ServerJobError) {
        guard path.hasPrefix("/") else {
            throw ServerJobError(.invalidRequest, "\(field) '\(path.prefix(80))' must be an absolute path")
        }
        try validateText(path, field: field)
    }

    /// Text that ends up in a command (a path or an exclusion pattern).
    package static func validateText(_ text: String, field: String) throws(ServerJobError) {
        guard !text.isEmpty, text.utf8.count <= 4096 else {
            throw ServerJobError(.invalidRequest, "\(field) must be 1 to 4096 bytes long")
        }
        guard !text.unicodeScalars.contains(where: { $0 == "\0" || $0 == "\n" || $0 == "\r" }) else {
            throw ServerJobError(.invalidRequest, "\(field) '\(text.prefix(80))' must not contain NUL or line breaks")
        }
    }
}
