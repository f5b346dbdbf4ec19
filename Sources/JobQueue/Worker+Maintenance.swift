import Logging
import RedisClient

extension Worker {
    /// Renews the locks of running jobs every `lockRenewTime`; a job whose lock is gone was taken
    /// over after a stall, so its processor is cancelled (its result could not be written anyway).
    func renewLocksUntilClosed() async {
        let interval = options.lockRenewTime ?? options.lockDuration / 2
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            let held = active.tokens
            guard !held.isEmpty else { continue }
            do {
                let call = ExtendLocksCall(lockMilliseconds: lockMilliseconds, held: held.map { ($0.id, $0.token) })
                let lost = try await redis.run(call, on: queue.keys).throwingServerError().array?.compactMap(\.string) ?? []
                // An attempt that just finished is no lost lock: only those still running are cancelled.
                for token in lost {
                    guard let id = active.cancel(token: token) else { continue }
                    logger.warning("lost the lock of a running job; cancelling it", metadata: ["job": "\(id)"])
                    emit(.lockLost(jobId: id))
                }
            } catch {
                failures.failed("renewing job locks failed", error: error, metadata: ["queue": "\(queue.name)"])
                emit(.error("lock renewal failed: \(error)"))
            }
        }
    }

    /// Runs the stalled check at start and every `stalledInterval`; the script makes sure only
    /// one worker of the fleet does the work per interval.
    func checkStalledUntilClosed() async {
        while !Task.isCancelled {
            do {
                let call = StalledCheckCall(
                    maxStalledCount: options.maxStalledCount, intervalMilliseconds: Self.milliseconds(options.stalledInterval),
                    now: queue.clock.nowMilliseconds())
                let moved = try await redis.run(call, on: queue.keys).throwingServerError().array?.compactMap(\.string) ?? []
                if !moved.isEmpty {
                    logger.warning("recovered stalled jobs", metadata: ["queue": "\(queue.name)", "jobs": "\(moved.joined(separator: ","))"])
                    emit(.stalled(jobIds: moved))
                }
            } catch {
                failures.failed("stalled check failed", error: error, metadata: ["queue": "\(queue.name)"])
            }
            do { try await Task.sleep(for: options.stalledInterval) } catch { return }
        }
    }
}
