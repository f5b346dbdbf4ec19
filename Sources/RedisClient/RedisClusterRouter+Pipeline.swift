import ErrorCodes

extension RedisClusterRouter {
    /// Commands that must reach one node together: a keyed command with the keyless ones before
    /// it (SCRIPT LOAD ahead of its EVALSHA), or a whole MULTI … EXEC.
    struct Unit: Sendable {
        var indices: [Int] = []
        var slot: Int?
    }

    /// Splits a pipeline into units, in order.
    static func units(of commands: [[RedisArgument]]) -> [Unit] {
        var units: [Unit] = []
        var current = Unit()
        var inTransaction = false
        for (index, command) in commands.enumerated() {
            let name = command.first.map { String(decoding: $0.bytes, as: UTF8.self).uppercased() } ?? ""
            current.indices.append(index)
            if current.slot == nil { current.slot = RedisCommandKey.slot(of: command) }
            if name == "MULTI" { inTransaction = true }
            if name == "EXEC" || name == "DISCARD" { inTransaction = false }
            if !inTransaction, current.slot != nil || name == "EXEC" || name == "DISCARD" {
                units.append(current)
                current = Unit()
            }
        }
        if !current.indices.isEmpty { units.append(current) }
        return units
    }

    /// Runs a pipeline across the cluster: each node gets its units in one round trip (nodes in
    /// parallel); a unit answered with MOVED/ASK is sent again where the cluster says, on its own.
    /// Replies come back in the commands' order; error replies are values.
    func pipeline(_ commands: [[RedisArgument]]) async throws -> [RESPValue] {
        let units = Self.units(of: commands)
        for unit in units where unit.indices.contains(where: { Self.isMulti(commands[$0]) }) {
            let slots = Set(unit.indices.compactMap { RedisCommandKey.slot(of: commands[$0]) })
            guard slots.count <= 1 else {
                throw RedisError(.clusterRouting, "a MULTI … EXEC touches \(slots.count) hash slots; on a Redis Cluster a transaction's keys must share one hash tag")
            }
        }
        var byNode: [RedisEndpoint: [Unit]] = [:]
        for unit in units {
            let node = try await endpoint(forSlot: unit.slot)
            byNode[node, default: []].append(unit)
        }
        var replies = [RESPValue](repeating: .null, count: commands.count)
        var redirected: [(Unit, [RESPValue])] = []
        try await withThrowingTaskGroup(of: [(Unit, [RESPValue])].self) { group in
            for (node, nodeUnits) in byNode {
                group.addTask {
                    let batch = nodeUnits.flatMap { $0.indices.map { commands[$0] } }
                    let nodeReplies: [RESPValue]
                    do {
                        nodeReplies = try await self.pool(for: node).withConnection { try await $0.pipeline(batch) }
                    } catch {
                        self.noteFailure(error)
                        throw error
                    }
                    var offset = 0
                    return nodeUnits.map { unit in
                        defer { offset += unit.indices.count }
                        return (unit, Array(nodeReplies[offset..<(offset + unit.indices.count)]))
                    }
                }
            }
            for try await results in group {
                for (unit, unitReplies) in results {
                    if unitReplies.contains(where: { RedisClusterRedirect($0) != nil }) {
                        redirected.append((unit, unitReplies))
                    } else {
                        for (index, reply) in zip(unit.indices, unitReplies) { replies[index] = reply }
                    }
                }
            }
        }
        for (unit, first) in redirected {
            let again = try await resend(unit.indices.map { commands[$0] }, slot: unit.slot, after: first)
            for (index, reply) in zip(unit.indices, again) { replies[index] = reply }
        }
        return replies
    }

    /// Sends one unit again after a redirect, following further ones.
    private func resend(_ commands: [[RedisArgument]], slot: Int?, after firstReplies: [RESPValue]) async throws -> [RESPValue] {
        var replies = firstReplies
        for _ in 0..<Self.maxRedirects {
            guard let redirect = replies.lazy.compactMap({ RedisClusterRedirect($0) }).first else { return replies }
            try await follow(redirect)
            var batch = commands
            let target: RedisEndpoint
            if redirect.kind == .ask {
                target = redirect.endpoint
                // ASKING lets only the next command in; a transaction waits for the move to end.
                if let keyed = batch.firstIndex(where: { RedisCommandKey.slot(of: $0) != nil }), !batch.contains(where: Self.isMulti) {
                    batch.insert(["ASKING"], at: keyed)
                } else {
                    try await Task.sleep(for: .milliseconds(50))
                }
            } else {
                target = try await endpoint(forSlot: slot)
            }
            do {
                let sent = batch
                var got = try await pool(for: target).withConnection { try await $0.pipeline(sent) }
                if batch.count != commands.count, let asking = batch.firstIndex(where: { $0 == ["ASKING"] }) { got.remove(at: asking) }
                replies = got
            } catch {
                noteFailure(error)
                throw error
            }
        }
        throw Self.tooManyRedirects(commands.first ?? [], last: replies.first { RedisClusterRedirect($0) != nil } ?? .null)
    }

    private static func isMulti(_ command: [RedisArgument]) -> Bool {
        command.first.map { String(decoding: $0.bytes, as: UTF8.self).uppercased() == "MULTI" } ?? false
    }
}
