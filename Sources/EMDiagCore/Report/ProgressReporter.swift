import Foundation
import Synchronization

/// The counts of a collection run that progress output shows.
package struct CollectionProgress: Sendable, Equatable {
    /// What is happening: "collecting", "analyzing", "writing bundle".
    package var phase: String
    package var done: Int
    package var total: Int
    package var logs: Int
    package var errors: Int

    package init(phase: String = "collecting", done: Int = 0, total: Int = 0, logs: Int = 0, errors: Int = 0) {
        self.phase = phase
        self.done = done
        self.total = total
        self.logs = logs
        self.errors = errors
    }
}

/// Where progress goes while collecting: always stderr (stdout carries only the report). Pick one with
/// `ProgressReporters.make(quiet:isTTY:)`: a live line on a TTY, plain lines otherwise, nothing with `--quiet`.
package protocol ProgressReporter: Sendable {
    /// New counts; reporters decide whether and how to show them.
    func update(_ progress: CollectionProgress)
    /// A notable event worth its own line ("403 on secrets in em: skipped").
    func note(_ message: String)
    /// The run is over; leave the final counts on screen.
    func finish(_ progress: CollectionProgress)
}

/// Pure formatting of progress lines, shared by the reporters.
package enum ProgressFormat {
    /// "collecting: 37/120 items, 12 logs, 3 errors" (no total yet: "collecting: 37 items, ...").
    package static func counts(_ p: CollectionProgress) -> String {
        let items = p.total > 0 ? "\(p.done)/\(p.total) items" : "\(p.done) items"
        let logs = "\(p.logs) \(p.logs == 1 ? "log" : "logs")"
        let errors = "\(p.errors) \(p.errors == 1 ? "error" : "errors")"
        return "\(p.phase): \(items), \(logs), \(errors)"
    }

    /// "[########------------]": `width` cells, filled in proportion to done/total (empty when the total is unknown).
    package static func bar(done: Int, total: Int, width: Int) -> String {
        let cells = max(width, 1)
        let filled = total > 0 ? min(cells, max(0, done) * cells / total) : 0
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: cells - filled) + "]"
    }

    /// The live TTY line, fitted into `columns` (the bar shrinks first, then the text is cut) so a `\r`
    /// redraw never wraps.
    package static func liveLine(_ p: CollectionProgress, columns: Int) -> String {
        let text = counts(p)
        let room = columns - text.count - 4  // brackets, a space, and the column the cursor rests in
        if room >= 12 {
            return bar(done: p.done, total: p.total, width: min(room, 30)) + " " + text
        }
        return String(text.prefix(max(columns - 1, 0)))
    }

    /// Whether a plain-lines reporter should print `current` after having printed `last`: the first time, at
    /// every further 10% of the total, when errors rise, or when the phase changes.
    package static func isMilestone(last: CollectionProgress?, current: CollectionProgress) -> Bool {
        guard let last else { return true }
        if last.phase != current.phase || current.errors > last.errors { return true }
        guard current.total > 0 else { return current.done >= last.done + 50 }
        return current.done * 10 / current.total > last.done * 10 / max(last.total, 1)
    }
}

/// A single line on a terminal, redrawn in place (`\r`, erase line): a bar and the counts.
package final class TTYProgressReporter: ProgressReporter {
    private let write: @Sendable (String) -> Void
    private let columns: Int
    private let shown = Mutex<String?>(nil)

    /// - Parameters:
    ///   - columns: the terminal width (`COLUMNS`, or 80).
    ///   - write: the sink, stderr by default.
    package init(columns: Int = 80, write: @escaping @Sendable (String) -> Void = ProgressReporters.standardError) {
        self.columns = columns
        self.write = write
    }

    package func update(_ progress: CollectionProgress) {
        let line = ProgressFormat.liveLine(progress, columns: columns)
        let changed = shown.withLock { last -> Bool in
            guard last != line else { return false }
            last = line
            return true
        }
        if changed { write("\r\u{1B}[2K" + line) }
    }

    package func note(_ message: String) {
        let current = shown.withLock { $0 }
        write("\r\u{1B}[2K" + ReportText.terminalSafe(message) + "\n" + (current ?? ""))
    }

    package func finish(_ progress: CollectionProgress) {
        shown.withLock { $0 = nil }
        write("\r\u{1B}[2K" + ProgressFormat.counts(progress) + "\n")
    }
}

/// Plain lines for logs and CI (stderr not a TTY): one line at each milestone, never a control character.
package final class PlainProgressReporter: ProgressReporter {
    private let write: @Sendable (String) -> Void
    private let last = Mutex<CollectionProgress?>(nil)

    package init(write: @escaping @Sendable (String) -> Void = ProgressReporters.standardError) {
        self.write = write
    }

    package func update(_ progress: CollectionProgress) {
        let print = last.withLock { last -> Bool in
            guard ProgressFormat.isMilestone(last: last, current: progress) else { return false }
            last = progress
            return true
        }
        if print { write(ProgressFormat.counts(progress) + "\n") }
    }

    package func note(_ message: String) {
        write(ReportText.terminalSafe(message) + "\n")
    }

    /// Prints the final counts, unless the last milestone line already showed exactly them.
    package func finish(_ progress: CollectionProgress) {
        let repeated = last.withLock { last -> Bool in
            defer { last = progress }
            return last == progress
        }
        if !repeated { write(ProgressFormat.counts(progress) + "\n") }
    }
}

/// `--quiet`: no progress at all.
package struct QuietProgressReporter: ProgressReporter {
    package init() {}
    package func update(_ progress: CollectionProgress) {}
    package func note(_ message: String) {}
    package func finish(_ progress: CollectionProgress) {}
}

/// Chooses a reporter for the command line.
package enum ProgressReporters {
    /// Writes to the process's standard error.
    package static let standardError: @Sendable (String) -> Void = { text in
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Quiet wins; a TTY gets the live line, anything else plain lines.
    package static func make(quiet: Bool, isTTY: Bool, columns: Int = 80) -> any ProgressReporter {
        if quiet { return QuietProgressReporter() }
        return isTTY ? TTYProgressReporter(columns: columns) : PlainProgressReporter()
    }
}
