import Kernel
import Testing
import WAT

@testable import Interp

/// A module loaded again is not parsed, checked or validated again, and its
/// later instances translate each body on its first call: they must behave
/// exactly as the first instance did.
@Suite struct ModuleReuseTests {
    @Test(arguments: Tier.allCases) func aModuleLoadedAgainSharesItsCheckAndValidation(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let first = try system.host.load(path: actorPath("hello"))
        let again = try system.host.load(path: actorPath("hello"), name: "greeter")
        #expect(again.name == "greeter" && first.name == "hello")
        #expect(again.facts === first.facts)
        #expect(system.host.checkedCount == 1)
        #expect(!first.facts.bodiesValidated)

        let actors = try [first, again, first].map { module in
            let actor = try system.host.spawn(module)
            #expect(system.host.wait(for: actor))
            #expect(first.facts.bodiesValidated)
            return actor
        }
        #expect(system.log.lines(of: "hello") == ["hello from a Rust actor", "hello from a Rust actor"])
        #expect(system.log.lines(of: "greeter") == ["hello from a Rust actor"])
        for actor in actors { #expect(system.kernel.exitReason(of: actor) == .exited(code: 0)) }
    }

    @Test(arguments: Tier.allCases) func aTrapInALaterInstanceSaysWhatTheFirstSaid(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        // The trap is two calls deep, in functions the first instance
        // translated while it started and later ones translate when called.
        let module = try system.module(wat: """
            (module (memory (export "memory") 1)
              (func $divide (param i32) (result i32) (i32.div_u (i32.const 7) (local.get 0)))
              (func $middle (result i32) (call $divide (i32.const 0)))
              (func (export "_start") (drop (call $middle))))
            """, name: "divider")
        var reasons: [ExitReason?] = []
        for _ in 0..<3 {
            let actor = try system.host.spawn(module)
            #expect(system.host.wait(for: actor))
            reasons.append(system.kernel.exitReason(of: actor))
        }
        guard case .trapped(let text) = reasons[0] else {
            Issue.record("the first instance did not trap: \(String(describing: reasons[0]))")
            return
        }
        #expect(text.contains("divide"))
        #expect(reasons == [reasons[0], reasons[0], reasons[0]])
        #expect(system.ranOnItsTier)
    }

    @Test func aModuleWithACompiledObjectIsTakenAsValidByALaterProcess() throws {
        let (compiler, log) = try CompiledTierTests.isolatedCompiler()
        let wat = CompiledTierTests.reporter(0x5EE)
        let bytes = try wat2wasm(wat)
        #expect(!compiler.builtBefore(try ModuleCheck.check(bytes: bytes, name: "r", source: "r")))
        _ = try CompiledTierTests().runReporter(wat, value: 0x5EE, compiler: compiler, tier: .compiled)

        // A later process: a new compiler on the same folder, a new host.
        let later = ModuleCompiler(directory: compiler.directory, logger: log.logger)
        let system = TestSystem(tier: .interpreter, compiler: later)
        let module = try system.host.load(bytes: bytes, name: "r")
        #expect(later.builtBefore(module) && !module.facts.bodiesValidated)
        _ = try system.host.prepare(module)
        #expect(module.facts.bodiesValidated)
        // It runs on the interpreter, its bodies translated as they are called.
        #expect(try CompiledTierTests().runReporter(wat, value: 0x5EE, compiler: later, tier: .interpreter).interpreted == 1)
    }

    @Test func theRememberedModulesAreBoundedByCountAndBytes() throws {
        let modules = try (0..<5).map { n in
            try ModuleCheck.check(bytes: try wat2wasm(CompiledTierTests.reporter(n)), name: "m\(n)", source: "m\(n)")
        }
        var byCount = CheckedModules(capacity: 3)
        for module in modules[0..<3] { byCount.remember(module) }
        // m0 is used, so m1 is now the least recently used and goes first.
        #expect(byCount.find(modules[0].bytes, name: "again", source: "again")?.name == "again")
        byCount.remember(modules[3])
        #expect(byCount.count == 3)
        #expect(modules.map { byCount.find($0.bytes, name: "x", source: "x") != nil } == [true, false, true, true, false])

        let size = modules[0].bytes.count
        var byBytes = CheckedModules(capacity: 10, byteCapacity: 2 * size + size / 2)
        for module in modules[0..<3] { byBytes.remember(module) }
        #expect(byBytes.count == 2)
        #expect(byBytes.find(modules[0].bytes, name: "x", source: "x") == nil)

        var tiny = CheckedModules(capacity: 10, byteCapacity: size - 1)
        tiny.remember(modules[0])
        #expect(tiny.count == 0)
    }
}
