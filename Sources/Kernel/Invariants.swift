/// Consistency checks over the whole kernel state, for tests and fuzzing:
/// every cap is where its handle says, cap counts match, derivation links are
/// two-way and reach no destroyed node, and the kernel's memory charges add
/// up. Returns what is wrong (empty when all is well).
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
        /// Messages the kernel holds, each once: queued or an answer not yet taken.
        var held: [Message] = []
        var answeredReplies: Set<ObjectIdentifier> = []

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
                if !parent.rights.isSuperset(of: node.rights) && !(node.object is Reply) {
                    problems.append("\(place): more rights than its parent")
                }
            }
        }
        func hold(_ reply: Reply) {
            guard case .answered(let message) = reply.state, answeredReplies.insert(ObjectIdentifier(reply)).inserted else { return }
            held.append(message)
        }

        for (id, entry) in actors {
            if !entry.isAlive { problems.append("\(id): ended but still among the live actors") }
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
            var messages: [Message] = []
            if let endpoint = object as? Endpoint {
                messages = endpoint.queuedMessages
                held += messages
            } else if let reply = object as? Reply, case .answered(let message) = reply.state {
                messages = [message]
                hold(reply)
            }
            for node in messages.flatMap(\.heldCaps) where node.isAlive {
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
                hold(reply)
                for node in message.heldCaps where node.isAlive && nodes[ObjectIdentifier(node)] == nil {
                    visit(node, "pending answer")
                }
            }
        }

        // The derivation tree: every listed child is live, reachable, and
        // links back; every node with a parent is listed by it.
        var listed = 0
        for node in nodes.values {
            var previous: CapabilityNode?
            var child = node.firstChild
            while let c = child {
                listed += 1
                if !c.isAlive { problems.append("a destroyed node is still listed as a child") }
                if nodes[ObjectIdentifier(c)] == nil { problems.append("a child is listed but unreachable") }
                if c.parent !== node { problems.append("child's parent link broken") }
                if c.previousSibling !== previous { problems.append("sibling links broken") }
                previous = c
                child = c.nextSibling
            }
        }
        let withParent = nodes.values.filter { $0.parent != nil }.count
        if listed != withParent { problems.append("\(withParent) nodes have a parent, \(listed) are listed as children") }

        if nodes.count != liveNodes { problems.append("liveNodes \(liveNodes), reachable \(nodes.count)") }
        var perObject: [ObjectIdentifier: Int] = [:]
        for node in nodes.values { perObject[ObjectIdentifier(node.object), default: 0] += 1 }
        for (id, object) in objects where perObject[id] != object.capabilityCount {
            problems.append("\(object.kind) has capabilityCount \(object.capabilityCount), \(perObject[id] ?? 0) reachable")
        }
        if objects.count != liveObjects { problems.append("liveObjects \(liveObjects), reachable \(objects.count)") }

        // Charges: what each account was charged for live objects and held
        // messages is what the kernel's ledger says, and within what the
        // account itself holds (engines charge it too).
        var expected: [ObjectIdentifier: Int] = [:]
        for object in objects.values {
            if let account = object.chargedTo { expected[ObjectIdentifier(account), default: 0] += object.chargedBytes }
        }
        for message in held {
            if let account = message.charge { expected[ObjectIdentifier(account), default: 0] += message.cost }
        }
        for (key, bytes) in expected where (chargedAccounts[key]?.kernelCharged ?? 0) != bytes {
            let charged = chargedAccounts[key]?.kernelCharged ?? 0
            problems.append("an account is charged \(charged) bytes by the kernel, its objects and messages cost \(bytes)")
        }
        for (key, account) in chargedAccounts {
            let charged = account.kernelCharged
            if charged == 0 { problems.append("an account the kernel charged nothing is listed as charged") }
            if expected[key] == nil { problems.append("an account is charged \(charged) bytes for nothing the kernel holds") }
            if account.used < charged { problems.append("an account holds less than the kernel charged it") }
        }

        // Spawn bookkeeping.
        var children: [ActorID: Int] = [:]
        for entry in actors.values {
            if let parent = entry.parent, actors[parent] != nil { children[parent, default: 0] += 1 }
        }
        for (id, entry) in actors where entry.liveChildren != children[id, default: 0] {
            problems.append("\(id): liveChildren \(entry.liveChildren), \(children[id, default: 0]) alive")
        }
        if ended.count > limits.endedActorsRemembered { problems.append("\(ended.count) ended actors kept") }
        return problems
    }
}
