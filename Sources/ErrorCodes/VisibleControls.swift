extension StringProtocol {
    /// The text with every character a terminal or a log reader would act on instead of show
    /// written as a `\u{…}` escape: control characters (C0, DEL, C1, and line feed and tab unless
    /// `keepingLineBreaks`), line and paragraph separators, and the marks that reorder text
    /// (bidirectional overrides). For text from outside (a remote command's stderr, a job's
    /// failure reason or progress from another producer) on its way to a log, a message or a
    /// terminal, where an escape sequence could retitle the window, move the cursor or forge a line.
    public func withVisibleControls(keepingLineBreaks: Bool = false) -> String {
        guard unicodeScalars.contains(where: { Self.acts(on: $0, keepingLineBreaks: keepingLineBreaks) }) else { return String(self) }
        var visible = ""
        visible.unicodeScalars.reserveCapacity(unicodeScalars.count)
        for scalar in unicodeScalars {
            if Self.acts(on: scalar, keepingLineBreaks: keepingLineBreaks) {
                visible += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            } else {
                visible.unicodeScalars.append(scalar)
            }
        }
        return visible
    }

    /// Whether a terminal or log reader acts on `scalar` rather than showing it.
    private static func acts(on scalar: Unicode.Scalar, keepingLineBreaks: Bool) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: !keepingLineBreaks
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
