extension Duration {
    /// Whole milliseconds, rounded toward zero: a timeout for a C library, a Redis command or a job.
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds &* 1000 &+ attoseconds / 1_000_000_000_000_000
    }

    /// Whole nanoseconds, rounded toward zero (saturating far beyond any timeout).
    public var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow ? .max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Seconds as a floating-point number, for rates and reports.
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Milliseconds as a floating-point number, for latencies and reports.
    public var inMilliseconds: Double { inSeconds * 1000 }
}
