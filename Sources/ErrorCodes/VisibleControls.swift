extension StringProtocol {
    /// The text with every character a terminal or a log reader would act on, or that would hide
    /// in it, written as a `\u{…}` escape: control characters (C0, DEL, C1, and line feed and tab
    /// unless `keepingLineBreaks`), line and paragraph separators, the marks that reorder text
    /// (bidirectional overrides) and invisible format characters (zero-width space, byte order
    /// mark, soft hyphen; not the joiner of emoji). For text from outside (a remote command's
    /// stderr, a job's failure reason or progress from another producer) on its way to a log, a
    /// message or a terminal, where an escape sequence could retitle the window, move the cursor
    /// or forge a line. A backslash stays as it is, so escaping twice changes nothing.
    public func withVisibleControls(keepingLineBreaks: Bool = false) -> String {
        escapingControls(keepingLineBreaks: keepingLineBreaks) { "\\u{\(String($0.value, radix: 16, uppercase: true))}" }
    }

    /// JSON text with the characters `withVisibleControls` shows written as JSON's `\uXXXX`
    /// escapes, which JSON encoders leave as they are from DEL up; the JSON means the same.
    /// Line breaks (the layout's) stay; inside strings an encoder has escaped them already.
    public func withVisibleControlsInJSON() -> String {
        // Every character escaped is in the Basic Multilingual Plane: one `\uXXXX` each.
        escapingControls(keepingLineBreaks: true) { scalar in
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return "\\u" + String(repeating: "0", count: Swift.max(0, 4 - hex.count)) + hex
        }
    }

    /// Text from outside as it may be stored or shown: escaped (`withVisibleControls`), then at
    /// most `maxLength` characters (`visiblePrefix`). Escaping twice changes nothing, so text
    /// escaped on its way here comes out the same.
    public func visibleClip(_ maxLength: Int, keepingLineBreaks: Bool = false) -> String {
        String(withVisibleControls(keepingLineBreaks: keepingLineBreaks).visiblePrefix(maxLength))
    }

    /// The first `maxLength` characters of text `withVisibleControls` has escaped, less an escape
    /// the cut would leave unfinished: `\u{1B}` cut to `\u{1` reads as neither the character nor
    /// its escape.
    public func visiblePrefix(_ maxLength: Int) -> SubSequence {
        let clipped = prefix(Swift.max(0, maxLength))
        // An escape is at most `\u{FFFF}`: the cut can fall inside one only in its last 7 characters.
        guard clipped.endIndex < endIndex, let slash = clipped.suffix(7).lastIndex(of: "\\") else { return clipped }
        let escape = self[slash...].prefix(8)
        guard escape.hasPrefix("\\u{"), let close = escape.firstIndex(of: "}"), close >= clipped.endIndex else { return clipped }
        return self[..<slash]
    }

    private func escapingControls(keepingLineBreaks: Bool, _ escape: (Unicode.Scalar) -> String) -> String {
        guard unicodeScalars.contains(where: { Self.acts(on: $0, keepingLineBreaks: keepingLineBreaks) }) else { return String(self) }
        var visible = ""
        visible.unicodeScalars.reserveCapacity(unicodeScalars.count)
        for scalar in unicodeScalars {
            if Self.acts(on: scalar, keepingLineBreaks: keepingLineBreaks) {
                visible += escape(scalar)
            } else {
                visible.unicodeScalars.append(scalar)
            }
        }
        return visible
    }

    /// Whether a terminal or log reader acts on `scalar` rather than showing it, or shows nothing.
    private static func acts(on scalar: Unicode.Scalar, keepingLineBreaks: Bool) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: !keepingLineBreaks
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        case 0x00AD, 0x180E, 0x200B, 0x200C, 0x2060...0x2064, 0xFEFF, 0xFFF9...0xFFFB: true
        default: false
        }
    }
}
