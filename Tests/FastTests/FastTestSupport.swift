import Foundation
import JobQueue
import Logging
import Records
import ServerJobs
import TestSupport

/// A job attempt as a worker hands it to the frame: `attemptsMade` earlier attempts of
/// `maxAttempts`; `holdsLock` says whether the job's lock is still this attempt's.
struct FakeAttempt: LockedJobAttempt {
    let job: Job
    let token: String
    let lockHeld: Bool

    init(name: ServerJobName = .quickScan, attemptsMade: Int = 0, maxAttempts: Int = 3, lockHeld: Bool = true) {
        job = Job(
            id: UUID().lowercasedString, queueName: name.queue.name,
            fields: ["name": name.rawValue, "opts": "{\"attempts\":\(maxAttempts)}", "atm": "\(attemptsMade)"])
        token = UUID().lowercasedString
        self.lockHeld = lockHeld
    }

    func holdsLock() async throws -> Bool { lockHeld }
}

func quietLogger() -> Logger {
    let logger = testLogger("test.fast", level: .critical)
    return logger
}

func makeServer(_ name: String = "web-1") -> Server {
    Server(NewServer(name: name, host: "192.0.2.10", username: "backup", authType: .key, credential: "unused"))
}

/// Collects the messages a record was failed with.
actor FinalFailures {
    private(set) var messages: [String] = []
    func record(_ message: String) { messages.append(message) }
}

/// Holds those who pass it until the test opens it; once open, it stays so (a regression that
/// ran more than expected fails a count instead of hanging).
actor Gate {
    private var isOpen = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// How many wait at the gate now.
    var held: Int { waiting.count }

    func passed() async {
        guard !isOpen else { return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in waiting { waiter.resume() }
        waiting = []
    }
}
