import Tracing

extension SSHSession {
    /// Connects, checks the host key against the policy and authenticates, all within the connect
    /// timeout; traced as an `ssh connect` span.
    public func connect() throws(SSHError) {
        let span = tracer.startAnySpan("ssh connect", ofKind: .client)
        defer { span.end() }
        span.updateAttributes { attributes in
            attributes["server.address"] = configuration.host
            attributes["server.port"] = configuration.port
            attributes["ssh.user"] = configuration.username
        }
        do {
            try connectUntraced()
        } catch {
            Self.fail(span, error)
            throw error
        }
    }

    /// Runs `command` on the server, streaming stdout into `stdout` chunk by chunk (see
    /// `execUntraced`); traced as an `ssh exec` span naming the program, never its arguments.
    public func exec(
        _ command: String,
        options: SSHExecOptions = SSHExecOptions(),
        stdin: (() throws -> [UInt8]?)? = nil,
        stdout: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> SSHExecResult {
        let span = tracer.startAnySpan("ssh exec", ofKind: .client)
        defer { span.end() }
        span.updateAttributes { attributes in
            attributes["server.address"] = configuration.host
            attributes["ssh.program"] = String(command.split(separator: " ", maxSplits: 1).first ?? "")
        }
        do {
            let result = try execUntraced(command, options: options, stdin: stdin, stdout: stdout)
            if let status = result.exitStatus { span.updateAttributes { $0["ssh.exit_status"] = Int(status) } }
            return result
        } catch {
            Self.fail(span, error)
            throw error
        }
    }

    private static func fail(_ span: any Span, _ error: any Error) {
        span.recordError(error)
        span.setStatus(SpanStatus(code: .error))
    }
}
