/// Consistency checks over the whole kernel state, for tests and fuzzing:
/// every cap is where its handle says, cap counts match, derivation links are
/// two-way, quotas add up. Returns what is wrong (empty when all is well).
extension Kernel {
    package func invariantViolations() -> [String] {
        state.withLock { $0.invariantViolations() }
    }
}

extension KernelState {
    func invariantViolations() -> [String] {
        var problems: [String] = []
        var nodes: [ObjectIdentifier: CapabilityNode] = [:]
        var objects: [ObjectIdentifier: KernelObject] = [:]

        func visit(_ node: CapabilityNode, _ place: String) {
            guard nodes[ObjectIdentifier(node)] == nil else {
                problems.append("\(place): node reachable twice")
                return
            }
            nodes[ObjectIdentifier(node)] = node
            objects[ObjectIdentifier(node.object)] = node.object
            if !node.isAlive { problems.append("\(place): destroyed node still reachable") }
            if let parent = node.parent {
                if !parent.isAlive { problems.append("\(place): parent destroyed") }
                if !parent.children.contains(where: { $0 === node }) { problems.append("\(place): parent does not list it") }
                if !parent.rights.isSuperset(of: node.rights) && !(node.object is Reply) {
                    problems.append("\(place): more rights than its parent")
                }
            }
            for child in node.children where child.parent !== node {
                problems.append("\(place): child's parent link broken")
            }
        }

        for (id, entry) in actors {
            if !entry.isAlive && entry.space.count > 0 { problems.append("\(id): dead but holds \(entry.space.count) caps") }
            for node in entry.space.nodes {
                guard case .space(let owner, let handle) = node.location, owner == id else {
                    problems.append("\(id): node in space with wrong location")
                    continue
                }
                if entry.space.lookup(handle) !== node { problems.append("\(id): handle \(handle) does not find its node") }
                visit(node, "\(id) \(handle)")
            }
        }
        // In-flight caps in queues and parked answers.
        var index = 0
        var queue = Array(objects.values)
        while index < queue.count {
            let object = queue[index]
            index += 1
            var held: [CapabilityNode] = []
            if let endpoint = object as? Endpoint {
                held = endpoint.queuedMessages.flatMap(\.heldCaps)
            } else if let reply = object as? Reply, case .answered(let message) = reply.state {
                held = message.heldCaps
            }
            for node in held where node.isAlive {
                guard case .inFlight = node.location else {
                    problems.append("queued cap not in flight")
                    continue
                }
                let isNewObject = objects[ObjectIdentifier(node.object)] == nil
                visit(node, "in flight")
                if isNewObject { queue.append(node.object) }
            }
        }
        // Pending calls hold their reply objects without a cap.
        for entry in actors.values {
            if let reply = entry.pendingCall, case .answered(let message) = reply.state {
                for node in message.heldCaps where node.isAlive && nodes[ObjectIdentifier(node)] == nil {
                    visit(node, "pending answer")
                }
            }
        }

        if nodes.count != liveNodes { problems.append("liveNodes \(liveNodes), reachable \(nodes.count)") }
        var perObject: [ObjectIdentifier: Int] = [:]
        for node in nodes.values { perObject[ObjectIdentifier(node.object), default: 0] += 1 }
        for (id, object) in objects where perObject[id] != object.capabilityCount {
            problems.append("\(object.kind) has capabilityCount \(object.capabilityCount), \(perObject[id] ?? 0) reachable")
        }
        if objects.count != liveObjects { problems.append("liveObjects \(liveObjects), reachable \(objects.count)") }
        var quota: [ActorID: Int] = [:]
        for object in objects.values { if let owner = object.quotaOwner { quota[owner, default: 0] += object.quotaBytes } }
        for (id, entry) in actors where entry.quotaUsed != (quota[id] ?? 0) {
            problems.append("\(id): quotaUsed \(entry.quotaUsed), live objects \(quota[id] ?? 0)")
        }
        return problems
    }
}
