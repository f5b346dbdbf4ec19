import APIClient
import ErrorCodes
import Foundation
import Testing

/// Text from outside shows what a terminal would act on as escapes, and nothing else changes.
@Suite struct VisibleControlsTests {
    @Test(arguments: [
        ("\u{1B}]0;owned\u{07}", #"\u{1B}]0;owned\u{7}"#),
        ("\u{9B}31mred", #"\u{9B}31mred"#),
        ("cr\rover", #"cr\u{D}over"#),
        ("nul\u{0}del\u{7F}", #"nul\u{0}del\u{7F}"#),
        ("txt\u{202E}exe.pdf", #"txt\u{202E}exe.pdf"#),
        ("line\u{2028}sep", #"line\u{2028}sep"#),
        ("two\nlines\tand a tab", #"two\u{A}lines\u{9}and a tab"#),
        ("ad\u{200B}min\u{FEFF}", #"ad\u{200B}min\u{FEFF}"#),
    ])
    func whatATerminalActsOnIsShown(raw: String, shown: String) {
        #expect(raw.withVisibleControls() == shown)
    }

    @Test func lineBreaksAndTabsMayStayAndPlainTextIsUntouched() {
        #expect("tar: a\n\tb\u{1B}[2J".withVisibleControls(keepingLineBreaks: true) == "tar: a\n\tb\\u{1B}[2J")
        for plain in ["", "plain ascii", "grüße, 日本語, emoji 🛟, e\u{301}, 👩\u{200D}🚒", #"already \u{1B} escaped"#] {
            #expect(plain.withVisibleControls() == plain)
        }
    }

    @Test func aTableCellStaysOnOneLineWithItsEscapesShown() {
        let table = TextTable(headers: ["NAME", "REASON"], rows: [["scan:\u{1B}]0;owned\u{07}", "first\nsecond\u{9B}2J"]])
        let rendered = table.render(width: 200)
        #expect(rendered.split(separator: "\n").count == 3)
        #expect(rendered.contains(#"scan:\u{1B}]0;owned\u{7}"#) && rendered.contains(#"first second\u{9B}2J"#))
        #expect(!rendered.unicodeScalars.contains { $0 != "\n" && ($0.value < 0x20 || (0x7F...0x9F).contains($0.value)) })
    }

    @Test func jsonKeepsItsMeaningWithItsEscapesShown() throws {
        let raw = "{\n  \"name\" : \"scan:\u{9B}31m\u{202E}exe\u{7F}\u{FEFF}\"\n}"
        let shown = raw.withVisibleControlsInJSON()
        #expect(shown == "{\n  \"name\" : \"scan:\\u009B31m\\u202Eexe\\u007F\\uFEFF\"\n}")
        let before = try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: String]
        let after = try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: String]
        #expect(before == after && before != nil)
    }

    @Test func aPrefixNeverCutsAnEscapeInHalf() {
        let shown = "ab\u{1B}]0;x\u{7}".withVisibleControls()  // ab\u{1B}]0;x\u{7}
        #expect(shown.visiblePrefix(2) == "ab")
        for cut in 3...7 { #expect(shown.visiblePrefix(cut) == "ab", "cut at \(cut)") }
        #expect(shown.visiblePrefix(8) == #"ab\u{1B}"#)
        #expect(shown.visiblePrefix(12) == #"ab\u{1B}]0;x"#)
        #expect(shown.visiblePrefix(16) == #"ab\u{1B}]0;x"#)
        #expect(shown.visiblePrefix(17) == shown && shown.visiblePrefix(100) == shown)
        #expect(#"a literal \ and \u{ without end"#.visiblePrefix(12) == #"a literal \ "#)
        #expect(#"C:\users\u{41}"#.visiblePrefix(9) == #"C:\users"#)
        #expect("".visiblePrefix(5) == "" && "abc".visiblePrefix(-1) == "")
    }
}
