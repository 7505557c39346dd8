import Interp
import Kernel
import Testing

@testable import wskdesk

/// The boot manifest: the seed's spawn-and-cross-grant pattern as data, and
/// errors that name the file, the line and the key.
@Suite struct ManifestTests {
    @Test func theDefaultDesktopParses() throws {
        let manifest = try Manifest.parse(Manifest.defaultDesktop, file: "default")
        #expect(manifest.actors.map(\.name) == ["paint", "fractal"])
        #expect(manifest.actors[0].module == "paint")
        #expect(manifest.actors[0].grants == [.ui, .plugins, .config])
        #expect(manifest.actors[0].config == ["plugins": .string("auto")])
        #expect(manifest.actors[1].config == ["workers": .string("auto")])
    }

    @Test func appsNamedOnTheCommandLineAreAManifestToo() throws {
        let manifest = Manifest.forApps(["fractal", "/tmp/x/demo.wasm", "paint"])
        let defaults = try Manifest.parse(Manifest.defaultDesktop, file: "default").actors
        #expect(manifest.actors.map(\.name) == ["fractal", "demo", "paint"])
        #expect(manifest.actors.map(\.module) == ["fractal", "/tmp/x/demo.wasm", "paint"])
        #expect(manifest.actors[0].grants == defaults[1].grants && manifest.actors[0].config == defaults[1].config)
        #expect(manifest.actors[1].grants == [.ui] && manifest.actors[1].config.isEmpty)
        #expect(manifest.actors[2].grants == defaults[0].grants && manifest.actors[2].config == defaults[0].config)
    }

    @Test func crossGrantsAndEveryValueForm() throws {
        let text = """
            # two actors that talk
            [[actor]]
            name = "server"   # a comment
            module = "/opt/apps/server.wasm"
            grants = ["endpoint:requests", "framebuffer"]
            config.greeting = "a # not a comment \\"quoted\\""
            config.list = ["x", "y"]
            config.count = 3

            [[actor]]
            name = "client"
            grants = ["ui", "send:requests"]
            """
        let manifest = try Manifest.parse(text, file: "m.toml")
        #expect(manifest.actors[0].module == "/opt/apps/server.wasm")
        #expect(manifest.actors[0].grants == [.endpoint("requests"), .framebuffer])
        #expect(manifest.actors[0].config == [
            "greeting": .string("a # not a comment \"quoted\""), "list": .list(["x", "y"]), "count": .string("3"),
        ])
        #expect(manifest.actors[1].grants == [.ui, .send("requests")])
        #expect(manifest.actors[1].line == 10)
    }

    /// Folders granted to a program are its WASI preopens, at the handles
    /// their grants take (1, 2, ... in grant order); a file to open is kept.
    @Test func foldersAndAFileToOpen() throws {
        let text = """
            [[actor]]
            name = "viewer"
            grants = ["ui", "folder:~/Pictures", "config", "folder-rw:/tmp/out"]
            open = "~/Pictures/photo.png"
            """
        let viewer = try Manifest.parse(text, file: "m.toml").actors[0]
        #expect(viewer.grants == [.ui, .folder("~/Pictures", writable: false), .config, .folder("/tmp/out", writable: true)])
        #expect(viewer.open == "~/Pictures/photo.png")
        #expect(viewer.program.preopens == [Preopen(name: "~/Pictures", handle: 2), Preopen(name: "/tmp/out", handle: 4)])
        #expect(throws: ManifestError(file: "m.toml", line: 3, message: "key `open`: an empty path; name the file the app should open")) {
            try Manifest.parse("[[actor]]\nname = \"a\"\nopen = \"\"", file: "m.toml")
        }
    }

    /// `[files] roots`: the folders the file chooser shows.
    @Test func fileRootsForTheChooser() throws {
        let text = "[files]\nroots = [\"~/Pictures\", \"/media\"]\n[[actor]]\nname = \"paint\"\n"
        #expect(try Manifest.parse(text, file: "m.toml").fileRoots == ["~/Pictures", "/media"])
        #expect(try Manifest.parse("[[actor]]\nname = \"paint\"\n", file: "m.toml").fileRoots == nil)
        let errors: [(String, String)] = [
            ("[files]\nfolders = [\"/x\"]", "m.toml line 2: unknown key `folders` in [files] (known: roots)"),
            ("[files]\nroots = \"/x\"", "m.toml line 2: key `roots` must be a list of folders, like roots = [\"~/Pictures\", \"/media\"]"),
            ("[files]\n[files]", "m.toml line 2: a second [files] table (the first is on line 1)"),
        ]
        for (text, message) in errors {
            #expect(throws: ManifestError(file: "m.toml", line: 2, message: String(message.dropFirst("m.toml line 2: ".count)))) {
                try Manifest.parse(text, file: "m.toml")
            }
        }
    }

    @Test func argsAndEnvForAWASIProgram() throws {
        let manifest = try Manifest.parse("""
            [[actor]]
            name = "viewer"
            args = ["photo.png", "--zoom", "2"]
            env = { LANG = "C.UTF-8", EMPTY = "", X2 = "y" }

            [[actor]]
            name = "tool"
            env = ["A=1", "B=x=y"]
            """, file: "m.toml")
        #expect(manifest.actors[0].arguments == ["photo.png", "--zoom", "2"])
        #expect(manifest.actors[0].environment == ["LANG=C.UTF-8", "EMPTY=", "X2=y"])
        #expect(manifest.actors[1].arguments == [])
        #expect(manifest.actors[1].environment == ["A=1", "B=x=y"])
        #expect(manifest.actors[0].program.problem == nil)
    }

    @Test func limitsSetTheKernelsAndTheRestKeepItsDefaults() throws {
        let manifest = try Manifest.parse("""
            [limits]  # what actors may cause
            actor_memory_mib = 128
            children_per_actor = 8

            [[actor]]
            name = "paint"
            """, file: "m.toml")
        #expect(manifest.limits == Manifest.Limits(actorMemoryMiB: 128, childrenPerActor: 8))
        let limits = KernelLimits.forDesktop(manifest.limits, physicalMemory: 24 << 30)
        #expect(limits.actorMemoryLimit == 128 << 20)
        #expect(limits.maxChildrenPerActor == 8)
        #expect(limits.maxActors == KernelLimits().maxActors)
        #expect(limits.globalMemoryBudget == 12 << 30)  // half the machine's memory
        // A small machine still gives one actor its whole limit.
        #expect(KernelLimits.forDesktop(Manifest.Limits(), physicalMemory: 512 << 20).globalMemoryBudget == KernelLimits().actorMemoryLimit)
        let set = KernelLimits.forDesktop(Manifest.Limits(memoryBudgetMiB: 2048, actors: 50), physicalMemory: 24 << 30)
        #expect(set.globalMemoryBudget == 2 << 30 && set.maxActors == 50)
        #expect(set.summary == "actors may use 512 MiB each and 2048 MiB in all; at most 50 actors, 64 children each")
        #expect(try Manifest.parse(Manifest.defaultDesktop, file: "default").limits == Manifest.Limits())
    }

    @Test(arguments: [
        ("name = \"x\"", "m.toml line 1: key `name` before any [[actor]] table"),
        ("[[actor]]\nname = \"a\"\ngrnats = [\"ui\"]", "m.toml line 3: unknown key `grnats` (known: name, module, grants, open, args, env, config.KEY)"),
        ("[[actor]]\nname = \"a\"\nargs = \"-v\"", "m.toml line 3: key `args` must be a list of strings, like [\"--verbose\", \"photo.png\"]"),
        ("[[actor]]\nname = \"a\"\nenv = \"X=1\"", "m.toml line 3: key `env` must be a table or a list, like { LANG = \"C\" } or [\"LANG=C\"]"),
        ("[[actor]]\nname = \"a\"\nenv = [\"X\"]", "m.toml line 3: key `env`: \"X\" is not NAME=VALUE, like env = [\"LANG=C\"]"),
        ("[[actor]]\nname = \"a\"\nenv = [\"=1\"]", "m.toml line 3: key `env`: \"=1\" is not NAME=VALUE, like env = [\"LANG=C\"]"),
        ("[[actor]]\nname = \"a\"\nenv = { X = 1 }", "m.toml line 3: key `env`: expected a string in double quotes"),
        ("[[actor]]\nname = \"a\"\nenv = { X = \"1\", X = \"2\" }", "m.toml line 3: key `env`: `X` is given twice in the table"),
        ("[[actor]]\nname = \"a\"\nenv = { X = \"1\"", "m.toml line 3: key `env`: a table must end with } on the same line"),
        ("[[actor]]\nname = \"a\"\nenv = { = \"1\" }", "m.toml line 3: key `env`: a table's keys are names of letters, digits, _, - or ."),
        ("[[actor]]\nname = \"a\"\nconfig.x = { A = \"1\" }", "m.toml line 3: key `config.x`: only `env` takes a table { NAME = \"value\" }"),
        ("[[actor]]\nname = \"a\"\ngrants = [\"ui\", \"gpu\"]", "m.toml line 3: key `grants`: unknown grant \"gpu\" (known: ui, framebuffer, config, plugins, spawner:DIR, endpoint:NAME, send:NAME, folder:PATH, folder-rw:PATH)"),
        ("[[actor]]\nname = a", "m.toml line 2: key `name`: `a` is not a value: write strings in double quotes, lists as [\"a\", \"b\"]"),
        ("[[actor]]\nname = \"a", "m.toml line 2: key `name`: a string is not closed with \""),
        ("[[actor]]\nname = \"a\"\nname = \"b\"", "m.toml line 3: key `name` given twice in this [[actor]]"),
        ("[[actors]]", "m.toml line 1: unknown table [[actors]]: a manifest has [[actor]] tables, one [limits] and one [files] table"),
        ("[limits]\nactors = 0\n[[actor]]\nname = \"a\"", "m.toml line 2: key `actors` must be a whole number above 0, like actors = 64"),
        ("[limits]\nactors = \"12\"\n[[actor]]\nname = \"a\"", "m.toml line 2: key `actors` must be a whole number above 0, like actors = 64"),
        ("[limits]\nthreads = 4", "m.toml line 2: unknown key `threads` in [limits] (known: actor_memory_mib, memory_budget_mib, actors, children_per_actor)"),
        ("[limits]\n[[actor]]\nname = \"a\"\n[limits]", "m.toml line 4: a second [limits] table (the first is on line 1)"),
        ("[limits]\nactor_memory_mib = 900\nmemory_budget_mib = 800\n[[actor]]\nname = \"a\"", "m.toml line 1: key `actor_memory_mib`: 900 MiB is more than all actors' `memory_budget_mib` of 800 MiB"),
        ("[[actor]]\nmodule = \"x\"", "m.toml line 1: this [[actor]] has no `name`"),
        ("[[actor]]\nname = \"a\"\n[[actor]]\nname = \"a\"", "m.toml line 4: key `name`: a second actor named \"a\""),
        ("[[actor]]\nname = \"a\"\ngrants = [\"send:nowhere\"]", "m.toml line 1: key `grants`: send:nowhere names no endpoint:nowhere"),
        ("[[actor]]\nname = \"a\"\ngrants = \"ui\"", "m.toml line 3: key `grants` must be a list of strings, like [\"ui\"]"),
        ("[[actor]]\nname = \"a\"\ngrants = [\"ui\",", "m.toml line 3: key `grants`: a list must end with ] on the same line"),
        ("", "m.toml line 1: no [[actor]] tables: nothing to start"),
        ("[[actor]]\nname = \"a\"\ngrants = [\"send:q\"]\n[[actor]]\nname = \"b\"\ngrants = [\"endpoint:q\"]", "m.toml line 1: key `grants`: endpoint:q is declared on line 4, below: declare it in an actor above this one"),
        ("[[actor]]\nname \"a\"", "m.toml line 2: expected `key = value`, found `name \"a\"`"),
    ])
    func errorsNameTheLineAndKey(text: String, message: String) {
        #expect(throws: ManifestError.self) { try Manifest.parse(text, file: "m.toml") }
        do {
            _ = try Manifest.parse(text, file: "m.toml")
        } catch {
            #expect(error.description == message)
        }
    }
}
