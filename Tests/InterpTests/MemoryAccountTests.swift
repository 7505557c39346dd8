import Foundation
import Testing

@testable import Interp
@testable import Kernel

/// Linear memory and tables charged to the actor's `ResourceAccount` from
/// instantiation on, in both tiers: refused past the actor's limit or the
/// budget of all actors in the same words, and given back when the instance
/// is freed.
@Suite struct MemoryAccountTests {
    /// What one funcref table element costs on `tier`: its real size there.
    static func elementBytes(_ tier: Tier) -> Int {
        tier == .compiled ? CompiledEngine.tableElementBytes : GrowthLimiter.tableElementBytes
    }

    static func kernelLimits(actor: Int = KernelLimits().actorMemoryLimit, budget: Int = KernelLimits().globalMemoryBudget)
        -> KernelLimits
    {
        var limits = KernelLimits()
        limits.actorMemoryLimit = actor
        limits.globalMemoryBudget = budget
        return limits
    }

    @Test(arguments: Tier.allCases) func anInstanceIsChargedFromItsFirstByteAndGivesItBackWhenFreed(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let module = try system.module(wat: """
            (module (memory (export "memory") 3) (table 1000 funcref) (table 24 funcref) (func (export "_start")))
            """)
        let expected = 3 * 65536 + 1024 * Self.elementBytes(tier)
        var prepared: (any PreparedActor)? = try system.host.prepare(module)
        let account = try #require(prepared?.account)
        #expect(account.used == expected)
        #expect(system.kernel.budget.used == expected)
        prepared = nil  // never started: dropping it frees the instance
        #expect(account.used == 0)
        #expect(system.kernel.budget.used == 0)
        #expect(system.ranOnItsTier)
    }

    @Test(arguments: Tier.allCases) func growthPastTheAccountFailsAsTheSpecSays(tier: Tier) throws {
        let limit = 1 << 20
        let system = TestSystem(tier: tier, kernelLimits: Self.kernelLimits(actor: limit))
        let probe = try Probe(system.kernel)
        let before = system.kernel.budget.used
        let actor = try system.run(
            reportingActor(
                body: """
                    (call $report32 (memory.grow (i32.const 8)))   ;; 9 of the 16 pages the account holds
                    (call $report32 (memory.grow (i32.const 8)))   ;; 17: refused
                    (call $report32 (memory.size))
                    (call $report32 (table.grow $t (ref.null func) (i32.const 10000)))
                    (call $report32 (table.grow $t (ref.null func) (i32.const 30000)))
                    (call $report32 (table.size $t))
                    (call $flush (i64.const 1))
                    """,
                functions: "(table $t 0 funcref)"),
            name: "grower"
        ) { actor in try probe.grantSend(to: actor) }
        // 9 pages and 40 000 elements fit in 1 MiB at 8 bytes an element, not at 24.
        let room = limit - 9 * 65536
        let fits = 40_000 * Self.elementBytes(tier) <= room
        #expect(try probe.report() == [1, -1, 9, 0, fits ? 10000 : -1, fits ? 40000 : 10000])
        #expect(system.host.wait(for: actor))
        #expect(system.kernel.exitReason(of: actor) == .exited(code: 0))
        #expect(system.kernel.budget.used == before)
        #expect(system.ranOnItsTier)
    }

    @Test(arguments: Tier.allCases) func anInstancePastTheAccountIsRefusedInPlainWords(tier: Tier) throws {
        let actorLimited = TestSystem(tier: tier, kernelLimits: Self.kernelLimits(actor: 1 << 20))
        let memory = try actorLimited.module(wat: #"(module (memory (export "memory") 17) (func (export "_start")))"#, name: "big")
        #expect(throws: ModuleLoadError(source: "big", problems: [
            "cannot instantiate: out of memory: the actor's limit of 1 MiB is reached",
        ])) { try actorLimited.host.spawn(memory) }
        #expect(actorLimited.kernel.budget.used == 0)

        // The audit's table bomb, scaled down: 40 tables of 100 000 elements
        // are 32 MB or more on either tier.
        let budgetLimited = TestSystem(tier: tier, kernelLimits: Self.kernelLimits(budget: 16 << 20))
        let tables = String(repeating: "(table 100000 funcref) ", count: 40)
        let bomb = try budgetLimited.module(wat: #"(module (memory (export "memory") 1) \#(tables) (func (export "_start")))"#, name: "tables")
        #expect(throws: ModuleLoadError(source: "tables", problems: [
            "cannot instantiate: out of memory: all actors' budget of 16 MiB is reached",
        ])) { try budgetLimited.host.spawn(bomb) }
        #expect(budgetLimited.kernel.budget.used == 0)
        #expect(actorLimited.ranOnItsTier && budgetLimited.ranOnItsTier)
    }
}
