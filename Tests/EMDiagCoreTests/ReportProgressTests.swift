import Foundation
import Synchronization
import Testing

@testable import EMDiagCore

/// Progress output: the pure formatting functions and what each reporter writes.
struct ReportProgressTests {
    /// Collects what a reporter writes.
    final class Sink: Sendable {
        private let text = Mutex("")
        var output: String { text.withLock { $0 } }
        var write: @Sendable (String) -> Void { { chunk in self.text.withLock { $0 += chunk } } }
    }

    let sample = CollectionProgress(done: 37, total: 120, logs: 12, errors: 3)

    @Test func countsLine() {
        #expect(ProgressFormat.counts(sample) == "collecting: 37/120 items, 12 logs, 3 errors")
        #expect(ProgressFormat.counts(.init(done: 4, logs: 1, errors: 1)) == "collecting: 4 items, 1 log, 1 error")
    }

    @Test func barIsProportionalAndBounded() {
        #expect(ProgressFormat.bar(done: 0, total: 10, width: 10) == "[----------]")
        #expect(ProgressFormat.bar(done: 5, total: 10, width: 10) == "[#####-----]")
        #expect(ProgressFormat.bar(done: 12, total: 10, width: 4) == "[####]")
        #expect(ProgressFormat.bar(done: 3, total: 0, width: 4) == "[----]")
    }

    @Test(arguments: [20, 40, 60, 80, 200])
    func liveLineFitsTheTerminal(columns: Int) {
        let line = ProgressFormat.liveLine(sample, columns: columns)
        #expect(line.count < columns)
        if columns >= 60 { #expect(line.hasPrefix("[") && line.hasSuffix("3 errors")) }
    }

    @Test func milestones() {
        let start = CollectionProgress(done: 0, total: 100)
        #expect(ProgressFormat.isMilestone(last: nil, current: start))
        #expect(!ProgressFormat.isMilestone(last: start, current: .init(done: 9, total: 100)))
        #expect(ProgressFormat.isMilestone(last: start, current: .init(done: 10, total: 100)))
        #expect(ProgressFormat.isMilestone(last: start, current: .init(done: 1, total: 100, errors: 1)))
        #expect(ProgressFormat.isMilestone(last: start, current: .init(phase: "analyzing", done: 1, total: 100)))
    }

    @Test func ttyRedrawsOneLineAndSkipsRepeats() {
        let sink = Sink()
        let reporter = TTYProgressReporter(columns: 80, write: sink.write)
        reporter.update(sample)
        reporter.update(sample)
        reporter.note("403 on secrets\u{1B}[2J")
        reporter.finish(sample)
        let out = sink.output
        #expect(out.components(separatedBy: "[###").count - 1 == 2, "drawn once, redrawn once after the note")
        #expect(out.contains("\r\u{1B}[2K403 on secrets^[[2J\n"))
        #expect(out.hasSuffix("\r\u{1B}[2Kcollecting: 37/120 items, 12 logs, 3 errors\n"))
        #expect(!out.dropLast().contains("\n\n"))
    }

    @Test func plainLinesHaveNoControlCharacters() {
        let sink = Sink()
        let reporter = PlainProgressReporter(write: sink.write)
        for done in 0...20 { reporter.update(.init(done: done, total: 20)) }
        reporter.note("skipped \u{1B}[31m")
        reporter.finish(.init(done: 20, total: 20))
        let lines = sink.output.split(separator: "\n")
        #expect(lines.first == "collecting: 0/20 items, 0 logs, 0 errors")
        #expect(lines.count == 11 + 1, "start, every 10% (the last is the final count: not repeated), the note")
        #expect(!sink.output.contains("\u{1B}") && !sink.output.contains("\r"))
        reporter.finish(.init(done: 20, total: 20, logs: 4))
        #expect(sink.output.hasSuffix("collecting: 20/20 items, 4 logs, 0 errors\n"), "new final counts are printed")
    }

    @Test func quietWritesNothingAndMakeChooses() {
        #expect(ProgressReporters.make(quiet: true, isTTY: true) is QuietProgressReporter)
        #expect(ProgressReporters.make(quiet: false, isTTY: true) is TTYProgressReporter)
        #expect(ProgressReporters.make(quiet: false, isTTY: false) is PlainProgressReporter)
    }
}
