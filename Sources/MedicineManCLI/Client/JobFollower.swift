import APIClient
import ArgumentParser
import ErrorCodes
import Foundation
import JSONSupport

/// `--follow` and `jobs watch`: streams a job's events and draws a live progress line on a
/// terminal (plain lines otherwise) until the job completes or fails. Ctrl-C stops following;
/// the job goes on.
struct JobFollower {
    let client: PlatformClient
    let jobId: String
    let interactive: Bool
    private let clock = ContinuousClock()

    init(client: PlatformClient, jobId: String, interactive: Bool = Terminal.isInteractive) {
        self.client = client
        self.jobId = jobId
        self.interactive = interactive
    }

    /// Follows to the end; true when the job completed. Exits 130 on Ctrl-C.
    func follow() async throws(ClientError) -> Bool {
        let interrupt = Self.stopFollowingOnInterrupt(jobId: jobId)
        defer { interrupt.cancel() }
        var view = ViewState(started: clock.now)
        while true {
            do {
                for try await event in client.jobEvents(jobId) {
                    if let outcome = view.apply(event, now: clock.now) { return finish(outcome, view: view) }
                    draw(view)
                }
            } catch let error as ClientError {
                throw error
            } catch {
                throw ClientError("the event stream broke: \(error)")
            }
            // The stream ended (a retry, a reconnect, the one-hour limit): ask where the job is.
            let job = try await client.call(.get, "/api/jobs/\(PlatformClient.pathComponent(jobId))")
            switch job["state"]?.stringValue {
            case "completed": return finish(.completed(job["returnValue"]), view: view)
            case "failed": return finish(.failed(job["failedReason"]?.stringValue ?? "no reason given"), view: view)
            default: continue
            }
        }
    }

    enum Outcome {
        case completed(JSONValue?)
        case failed(String)
    }

    /// What the view shows, updated event by event.
    struct ViewState {
        let started: ContinuousClock.Instant
        var line = ProgressLine()
        var lastSample: (bytes: Int64, at: ContinuousClock.Instant)?
        var lastPrinted: String?

        mutating func apply(_ event: ServerSentEvent, now: ContinuousClock.Instant) -> Outcome? {
            let data = event.json
            line.elapsed = now - started
            switch event.name {
            case "state":
                switch data?["state"]?.stringValue {
                case "completed"?: return .completed(nil)
                case "failed"?: return .failed("it had already failed: " + (data?["failedReason"]?.stringValue ?? "no reason recorded"))
                case let state?: line.phase = state.withVisibleControls()
                case nil: break
                }
                if let progress = data?["progress"] { applyProgress(progress, now: now) }
            case "progress":
                if let progress = data?["progress"] { applyProgress(progress, now: now) }
            case "completed":
                return .completed(data?["returnValue"])
            case "failed":
                // A failed attempt that will be retried is followed by `delayed`/`waiting`; the
                // stream's end tells which (the caller asks the job then).
                line.phase = "failed: " + (data?["failedReason"]?.stringValue ?? "").withVisibleControls()
            case "active", "waiting", "delayed", "stalled":
                line.phase = event.name
            default:
                break
            }
            return nil
        }

        mutating func applyProgress(_ progress: JSONValue, now: ContinuousClock.Instant) {
            // Escaped here, before the line is cut to the terminal's width.
            if let phase = progress["phase"]?.stringValue { line.phase = phase.withVisibleControls() }
            if let percent = progress["percent"]?.doubleValue ?? (progress.doubleValue) { line.percent = percent }
            if let bytes = progress["bytes"]?.intValue.map(Int64.init) {
                if let last = lastSample, bytes > last.bytes {
                    let seconds = Double((now - last.at).components.attoseconds) / 1e18 + Double((now - last.at).components.seconds)
                    if seconds > 0 { line.bytesPerSecond = Double(bytes - last.bytes) / seconds }
                }
                lastSample = (bytes, now)
                line.bytes = bytes
            }
        }
    }

    private func draw(_ view: ViewState) {
        let text = view.line.render(width: Terminal.width - 1)
        if interactive {
            FileHandle.standardOutput.write(Data(("\r\u{1B}[K" + text).utf8))
        } else {
            print(text)
        }
    }

    private func finish(_ outcome: Outcome, view: ViewState) -> Bool {
        if interactive { FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8)) }
        let elapsed = ProgressLine.clock(clock.now - view.started)
        switch outcome {
        case .completed:
            let size = view.line.bytes.map { ", " + ProgressLine.size(Double($0)) } ?? ""
            Terminal.say("completed: job \(jobId) in \(elapsed)\(size)")
            return true
        case .failed(let reason):
            Terminal.say("failed: job \(jobId) after \(elapsed): \(reason)")
            return false
        }
    }

    /// Ctrl-C ends the process with a note that the job keeps running.
    static func stopFollowingOnInterrupt(jobId: String) -> any DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let shown = jobId.withVisibleControls()  // the server's text, on a terminal
        source.setEventHandler {
            FileHandle.standardError.write(Data("\nstopped following; job \(shown) goes on (`medicineman jobs watch \(shown)`)\n".utf8))
            exit(130)
        }
        source.resume()
        return source
    }
}

extension ClientCommand {
    /// Posts a request that queues a job (202 `{recordId, jobId}`), says so, and follows the job
    /// when asked.
    func startJob(_ what: String, _ path: String, body: JSONValue, follow: Bool, client: PlatformClient) async throws(ClientError) {
        let accepted = try await client.call(.post, path, body: body)
        options.show(accepted, line: "\(what) \(accepted.cell("recordId")) queued as job \(accepted.cell("jobId"))")
        try await followIfAsked(follow, jobId: accepted["jobId"]?.stringValue, client: client)
    }

    /// Follows `jobId` when asked; a failed job ends the command with exit status 1.
    func followIfAsked(_ follow: Bool, jobId: String?, client: PlatformClient) async throws(ClientError) {
        guard follow, let jobId else { return }
        guard try await JobFollower(client: client, jobId: jobId).follow() else {
            throw ClientError(code: "job_failed", "the job failed")
        }
    }
}
