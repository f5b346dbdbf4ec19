extension Int {
    /// A Redis score (any client's: `inf`, or past 2^63 after a huge delay) as a whole number held
    /// within `Int`: NaN is 0 and what lies beyond is the nearest bound. `Int(_:)` would trap, and
    /// a score is outside data.
    init(clampingScore score: Double) {
        if score.isNaN {
            self = 0
        } else if score >= Double(Int.max) {
            self = .max
        } else if score < Double(Int.min) {
            self = .min
        } else {
            self = Int(score.rounded(.down))
        }
    }
}
