import Foundation
import Testing

@testable import EMDiagCore

/// Golden markdown and JSON reports of one failing fixture scenario (`Fixtures/<scenario>/expected/report.*`),
/// built with a fixed clock. `EMDIAG_RECORD=1 swift test --filter ReportGoldenTests` re-records them.
struct ReportGoldenTests {
    typealias F = ReportFixtures

    @Test(arguments: [ReportFormat.markdown, .json])
    func goldenReport(format: ReportFormat) throws {
        let scenario = try #require(F.failingScenario, "no failing scenario under \(F.fixturesRoot.path)")
        let report = try F.report(scenario: scenario)
        let golden = F.fixturesRoot.appendingPathComponent("\(scenario)/expected/report.\(format.fileExtension)")
        try F.expectGolden(format.render(report), at: golden)
    }
}
