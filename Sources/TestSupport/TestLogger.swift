package import Logging

/// The suites' logger: what `level` and worse reaches the test output, so a failing run shows
/// its warnings and a passing one stays readable.
package func testLogger(_ label: String = "test", level: Logger.Level = .warning) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = level
    return logger
}
