import ErrorCodes
import RedisClient
import Testing

@Suite struct RedisErrorTests {
    /// A Redis restarting from its AOF answers LOADING: a moment's wait, not a failure (the API
    /// answers 503 for it, as the chaos suite checks).
    @Test func repliesOfAServerThatCannotAnswerYetAreRetryable() {
        for reply in [
            "LOADING Redis is loading the dataset in memory", "BUSY Redis is busy running a script", "TRYAGAIN Multiple keys request during rehashing",
            "MASTERDOWN Link with MASTER is down", "CLUSTERDOWN The cluster is down",
        ] {
            #expect(RedisError(.serverError, reply).isRetryable, "\(reply)")
        }
        for reply in ["ERR unknown command", "WRONGTYPE Operation against a key holding the wrong kind of value", "NOSCRIPT No matching script"] {
            #expect(!RedisError(.serverError, reply).isRetryable, "\(reply)")
        }
    }
}
