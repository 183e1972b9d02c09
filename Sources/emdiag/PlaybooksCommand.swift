import ArgumentParser
import EMDiagCore
import Foundation

/// `emdiag playbooks list|lint|explain`: inspect and check the built-in pack and your own playbooks.
struct PlaybooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "playbooks",
        abstract: "List, lint and explain playbooks (the built-in pack plus --playbooks folders).",
        subcommands: [List.self, Lint.self, Explain.self, Patterns.self]
    )

    /// Playbook folders or files added to the built-in pack.
    struct Sources: ParsableArguments {
        @Option(name: .customLong("playbooks"), help: "A folder (or file) of playbooks to add; a rule with the same id replaces the built-in one.")
        var directories: [String] = []

        func load() throws -> PlaybookCatalog {
            do {
                return try PlaybookCatalog.load(paths: directories)
            } catch {
                printError("\(error)")
                printError("emdiag: invalid playbook; run `emdiag playbooks lint` to see every problem.")
                throw ExitCode(2)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the rules of the loaded playbooks.")
        @OptionGroup var sources: Sources

        func run() throws {
            let catalog = try sources.load()
            let width = catalog.rules.map(\.id.count).max() ?? 0
            for rule in catalog.rules {
                let id = rule.id.padding(toLength: width, withPad: " ", startingAt: 0)
                let severity = rule.severity.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
                print("\(id)  \(severity)  \(rule.title)  [\(rule.playbook)]")
            }
        }
    }

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check playbooks: unknown keys, duplicate ids, bad regexes, unknown conditions, wrong types.",
            discussion: """
                Without PATH, lints the built-in pack. Exits 2 and prints file:line:col errors when a check fails. \
                Notes (exit 0) name log patterns that slow every scan down: no literal, or one shorter than 5 bytes.
                """)
        @Argument(help: "Playbook files or folders to lint together with the built-in pack.")
        var paths: [String] = []
        @Option(help: "A Fixtures folder: `examples` must name scenario folders in it.")
        var fixtures: String?

        func run() throws {
            let (user, readErrors) = PlaybookCatalog.sources(at: paths)
            var scenarios: Set<String>?
            if let fixtures {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: fixtures)) ?? []
                scenarios = Set(names.filter { name in
                    var isDirectory: ObjCBool = false
                    return FileManager.default.fileExists(atPath: "\(fixtures)/\(name)", isDirectory: &isDirectory) && isDirectory.boolValue
                })
            }
            let result = PlaybookCatalog.lint(user: user, scenarios: scenarios)
            let errors = (readErrors + result.errors).sorted()
            for error in errors { printError("\(error)") }
            guard errors.isEmpty else {
                printError("emdiag: \(errors.count) problem\(errors.count == 1 ? "" : "s") found.")
                throw ExitCode(2)
            }
            for note in result.catalog.scanCostNotes { printError(note) }
            print("ok: \(result.catalog.rules.count) rules in \(result.catalog.playbooks.count) playbook(s)")
        }
    }

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print what a rule means, how to fix it, and its example scenarios.")
        @Argument(help: "A rule id, e.g. migration-conflict.")
        var id: String
        @OptionGroup var sources: Sources

        func run() throws {
            let catalog = try sources.load()
            guard let rule = catalog.rule(id) else {
                printError("emdiag: no rule \"\(id)\"; `emdiag playbooks list` shows the known ids.")
                throw ExitCode(2)
            }
            print(PlaybookExplainer.explain(rule))
        }
    }

    /// Prints the log patterns of the loaded playbooks, one per line (for `rg -f` in scripts/bench-scan).
    struct Patterns: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print every log pattern, one per line.", shouldDisplay: false)
        @OptionGroup var sources: Sources

        func run() throws {
            for rule in try sources.load().rules {
                for case .log(let log) in rule.match { print(log.pattern.source) }
            }
        }
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
