import Foundation
import Testing

@testable import EMDiagCore

/// The text, markdown, json and html renderers on the written bundle with constructed findings.
struct ReportRendererTests {
    typealias F = ReportFixtures

    private func position(of needle: String, in text: String) throws -> String.Index {
        try #require(text.range(of: needle), "\"\(needle)\" not found").lowerBound
    }

    @Test func textPutsTheRootCauseFirstWithEvidenceAndRemedy() throws {
        let text = ReportFormat.text.render(try F.report(), colour: false, width: 100)
        #expect(
            try position(of: "[CRITICAL] Database migration conflict", in: text)
                < position(of: "[WARNING] Container restarting", in: text)
        )
        #expect(try position(of: "[WARNING]", in: text) < position(of: "NAME", in: text))
        #expect(text.contains("api/v1/namespaces/em/pods/assets-7d9f/log/app.previous.log:42  FAILED: Multiple head"))
        #expect(text.contains("What to do: Roll back to the previous chart version"))
        #expect(text.contains("explains: crashloop"))
        #expect(text.contains("explained by: migration-conflict"))
        #expect(text.contains("Resources: Pod/em/assets-7d9f container=app"))
        #expect(text.contains("Init:0/3"))
        #expect(text.contains("CrashLoopBackOff"))
        #expect(text.contains("CreateContainerConfigError"))
        #expect(text.contains("5 (4m56s ago)"))
        #expect(text.contains("forbidden (HTTP 403): list secrets in em"))
        #expect(text.contains("PARTIAL"))
        #expect(text.contains("7 values hidden"))
        #expect(
            !text.contains("\u{1B}"),
            "no escape characters at all without colour (the hostile excerpt's ESC is shown as ^[)"
        )
        #expect(text.contains("^[[31mred"))
    }

    @Test func textWrapsAtTheWidth() throws {
        let text = ReportFormat.text.render(try F.report(), colour: false, width: 60)
        let summary = text.split(separator: "\n").filter {
            $0.hasPrefix("  Alembic") || $0.hasPrefix("  head revisions")
        }
        #expect(!summary.isEmpty)
        for line in text.split(separator: "\n") where !line.contains("/") && !line.contains("  ") {
            #expect(line.count <= 60, "line too long: \(line)")
        }
        let remedyLines = text.split(separator: "\n").drop { !$0.hasPrefix("  What to do:") }.prefix(3)
        #expect(remedyLines.count >= 2 && remedyLines.dropFirst().first?.hasPrefix("    ") == true)
    }

    @Test func textColourOnlyWhenAsked() throws {
        let report = try F.report()
        let coloured = ReportFormat.text.render(report, colour: true)
        #expect(coloured.contains("\u{1B}[1;31m[CRITICAL]\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[1;33m[WARNING]\u{1B}[0m"))
        #expect(!ReportFormat.text.render(report, colour: false).contains("\u{1B}["))
    }

    @Test func textWithoutFindings() throws {
        var report = try F.report()
        report.findings = []
        #expect(ReportFormat.text.render(report).contains("No problems found."))
    }

    @Test func markdownHasHeadingsTableCodeBlocksAndEscapes() throws {
        let md = ReportFormat.markdown.render(try F.report())
        #expect(md.hasPrefix("# emdiag report: namespace em, release em-runtime"))
        #expect(
            try position(of: "### 1. CRITICAL: Database migration conflict", in: md)
                < position(of: "### 2. WARNING: Container restarting", in: md)
        )
        #expect(md.contains("| Namespace | Name | Ready | Status | Restarts | Node |"))
        #expect(md.contains("| em | governance\\-0 |") == false, "hyphens are not escaped")
        #expect(md.contains("| em | governance-0 | 0/1 | Init:0/3 | 0 | node-1 |"))
        #expect(md.contains("| em | assets-7d9f | 0/1 | CrashLoopBackOff | 5 (4m56s ago) | node-1 |"))
        #expect(
            md.contains("```text\napi/v1/namespaces/em/pods/assets-7d9f/log/app.previous.log:42  FAILED: Multiple head")
        )
        #expect(md.contains("**What to do:** Roll back to the previous chart version"))
        #expect(md.contains("**Explains:** crashloop"))
        // Collection reason with a pipe and backticks stays one table row.
        #expect(md.contains("| forbidden (HTTP 403) | list secrets in em | secrets is forbidden \\| \\`rbac\\` |"))
        #expect(md.contains("> **Partial bundle:**"))
        // Control characters of log text are made visible, and only http(s) references become links.
        #expect(!md.contains("\u{1B}") && md.contains("^[[31mred"))
        #expect(md.contains("<https://docs.emergence.ai/deployment/helm/upgrades>, javascript:alert(1)"))
    }

    @Test func markdownCodeFenceOutlastsBackticksInEvidence() throws {
        var report = try F.report()
        report.findings[0].evidence = [Evidence(path: "a.log", line: 1, excerpt: "before ``` after ```` end")]
        let md = ReportFormat.markdown.render(report)
        #expect(md.contains("`````text\na.log:1  before ``` after ```` end\n`````"))
        #expect(MarkdownReport.escape("a|b`c*d_e<f>\nnext") == "a\\|b\\`c\\*d\\_e\\<f\\> next")
    }

    @Test func htmlSetsTheRemedysBacktickSpansAsCode() {
        #expect(HTMLReport.prose("Run `kubectl describe pod` then `helm rollback em-runtime`.")
            == "Run <code>kubectl describe pod</code> then <code>helm rollback em-runtime</code>.")
        // Escaped first: a span cannot open an element; an unpaired backtick stays.
        #expect(HTMLReport.prose("`<script>` & `x") == "<code>&lt;script&gt;</code> &amp; `x")
        // An empty pair stays; a span never crosses a line, so the pair on the next line is its own.
        #expect(HTMLReport.prose("a `` b `c\nd` e `f`") == "a `` b `c\nd<code> e </code>f`")
        // Markdown keeps the spans as code and escapes the rest.
        #expect(MarkdownReport.prose("Run `kubectl get pods -l app=x` for *all*.") == "Run `kubectl get pods -l app=x` for \\*all\\*.")
    }

    @Test func htmlEscapesHostileTextAndIsSelfContained() throws {
        let html = ReportFormat.html.render(try F.report())
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("<script"), "no script element, escaped or injected")
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(
            html.contains("<span class=\"loc\">api/v1/namespaces/em/pods/assets-7d9f/log/app.previous.log:42</span>")
        )
        #expect(html.contains("What to do:</b> Roll back"))
        #expect(html.contains("<svg"))
        #expect(html.contains("OOMKilled"))
        #expect(html.contains("Error exit 1"))
        #expect(html.contains("first failure: governance-0") == false)
        #expect(html.contains("first failure: keycloak-0 Failed x3"))
        #expect(html.contains("<a href=\"#finding-1\">migration-conflict</a>"))
        #expect(html.contains("<a href=\"#finding-2\">crashloop</a>"))
        // Only http(s) references become links; nothing else leaves the page.
        #expect(html.contains("<a href=\"https://docs.emergence.ai/deployment/helm/upgrades\""))
        #expect(!html.contains("href=\"javascript:"))
        for attribute in ["src=\"", "href=\"", "url("] {
            var rest = html[...]
            while let range = rest.range(of: attribute) {
                let value = rest[range.upperBound...].prefix(40)
                let allowed = value.hasPrefix("#") || value.hasPrefix("https://docs.emergence.ai/")
                #expect(allowed, "external reference \(attribute)\(value)")
                rest = rest[range.upperBound...]
            }
        }
        #expect(HTMLReport.escape("<a href='x'>&\"\u{1B}") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;^[")
    }

    @Test func htmlTimelineHasOneRowPerPodInOrder() throws {
        let report = try F.report()
        let svg = ReportTimeline(report: report).svg()
        #expect(svg.components(separatedBy: "<g class=\"row\">").count - 1 == report.timeline.count)
        let rows = report.timeline.map(\.pod)
        let offsets = try rows.map { try position(of: ">\($0)</text>", in: svg) }
        #expect(offsets == offsets.sorted())
        var empty = report
        empty.timeline = []
        #expect(ReportTimeline(report: empty).svg().contains("No container starts"))
    }
}
