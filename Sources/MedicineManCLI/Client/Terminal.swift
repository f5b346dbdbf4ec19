import ErrorCodes
import Foundation

/// What the client needs to know about where it prints.
enum Terminal {
    /// Whether standard output is a terminal (live progress) or a pipe/file (plain lines).
    static var isInteractive: Bool { isatty(STDOUT_FILENO) == 1 }

    /// Columns of the terminal, else `COLUMNS`, else 100.
    static var width: Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init) ?? 100
    }

    /// Prints a line for people, with what a terminal would act on in the platform's data (a
    /// failure reason from a remote host, progress from another producer) shown as escapes; line
    /// breaks too, so data cannot forge a second line ("completed: …").
    static func say(_ text: String) {
        print(text.withVisibleControls())
    }

    /// `say`, on standard error.
    static func complain(_ text: String) {
        FileHandle.standardError.write(Data((text.withVisibleControls() + "\n").utf8))
    }
}
