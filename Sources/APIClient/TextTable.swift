import ErrorCodes

/// Rows as aligned columns that fit a terminal's width: the widest columns give way first, and
/// a cut value ends in "…".
package struct TextTable: Sendable {
    package var headers: [String]
    package var rows: [[String]]

    package init(headers: [String], rows: [[String]]) {
        self.headers = headers
        self.rows = rows
    }

    package func render(width: Int) -> String {
        guard !headers.isEmpty else { return "" }
        let cells = ([headers] + rows).map { row in headers.indices.map { index in index < row.count ? Self.oneLine(row[index]) : "" } }
        var widths = headers.indices.map { column in cells.map { $0[column].count }.max() ?? 0 }
        let separators = 2 * (headers.count - 1)
        // Shrink the widest column, one character at a time, until the table fits (min 4 wide).
        while widths.reduce(0, +) + separators > width, let widest = widths.indices.max(by: { widths[$0] < widths[$1] }), widths[widest] > 4 {
            widths[widest] -= 1
        }
        var lines: [String] = []
        for (index, row) in cells.enumerated() {
            let line = row.indices.map { column in Self.fit(row[column], widths[column], last: column == row.count - 1) }.joined(separator: "  ")
            lines.append(line)
            if index == 0 { lines.append(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")) }
        }
        if rows.isEmpty { lines.append("(none)") }
        return lines.joined(separator: "\n")
    }

    /// A cell on one line, with what a terminal would act on (escape sequences from a remote
    /// host or another producer) shown as escapes.
    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 }).withVisibleControls()
    }

    static func fit(_ text: String, _ width: Int, last: Bool) -> String {
        if text.count > width { return String(text.prefix(max(0, width - 1))) + "…" }
        return last ? text : text + String(repeating: " ", count: width - text.count)
    }
}
