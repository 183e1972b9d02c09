import Foundation

/// The terminal report: findings first (root cause on top), then a compact pod table, then what could not be
/// collected. ANSI colour only when `colour` is true; untrusted text has its control characters made visible.
struct TextReport {
    let report: DiagnosticReport
    let colour: Bool
    let width: Int

    private enum Style: String {
        case bold = "1", dim = "2", red = "1;31", yellow = "1;33", cyan = "36", green = "32"
    }

    private func paint(_ text: String, _ style: Style) -> String {
        colour ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }

    private func safe(_ text: String) -> String { ReportText.terminalSafe(text) }

    private func wrapped(_ text: String, indent: String, first: String? = nil) -> [String] {
        ReportText.wrap(safe(text), width: width, indent: indent, firstIndent: first)
    }

    func render() -> String {
        var out = header()
        out.append("")
        out += findings()
        out += pods()
        out += collection()
        return out.joined(separator: "\n") + "\n"
    }

    private func header() -> [String] {
        var out = wrapped(
            "\(report.tool.name) \(report.tool.version) report: \(report.targetLine)",
            indent: "  ",
            first: ""
        )
        .map { paint($0, .bold) }
        out.append(
            "Collected \(ReportText.timestamp(report.collectedAt))"
                + (report.bundle.map { "   bundle \(safe($0))" } ?? "")
        )
        if report.partial {
            out += wrapped(
                "PARTIAL: collection stopped early; findings and pods may be incomplete.",
                indent: "  ",
                first: ""
            ).map { paint($0, .yellow) }
        }
        return out
    }

    private func badge(_ severity: Severity) -> String {
        let text = "[\(severity.rawValue.uppercased())]"
        switch severity {
        case .critical: return paint(text, .red)
        case .warning: return paint(text, .yellow)
        case .info: return paint(text, .cyan)
        }
    }

    private func findings() -> [String] {
        guard !report.findings.isEmpty else {
            return [paint("No problems found.", .green), ""]
        }
        let counts = report.severityCounts.map { "\($1) \($0.rawValue)" }.joined(separator: ", ")
        let noun = report.findings.count == 1 ? "finding" : "findings"
        var out = [paint("\(report.findings.count) \(noun) (\(counts)), root cause first", .bold), ""]
        for finding in report.findings {
            out.append(
                badge(finding.severity) + " " + paint(safe(finding.title), .bold) + "  "
                    + paint("(\(safe(finding.id)))", .dim)
            )
            out += wrapped(finding.summary, indent: "  ")
            if !finding.resources.isEmpty {
                out += wrapped(
                    finding.resources.map(\.description).joined(separator: ", "),
                    indent: "    ",
                    first: "  Resources: "
                )
            }
            if !finding.evidence.isEmpty {
                out.append("  Evidence:")
                for evidence in finding.evidence {
                    let location = paint(safe(ReportText.location(evidence)), .cyan)
                    out += wrapped(evidence.excerpt, indent: "        ", first: "    \(location)  ")
                }
            }
            out += wrapped(finding.remedy, indent: "    ", first: "  " + paint("What to do:", .bold) + " ")
            if !finding.explains.isEmpty {
                out += wrapped(finding.explains.joined(separator: ", "), indent: "    ", first: "  explains: ")
            }
            if let parent = finding.explainedBy {
                out += wrapped(parent, indent: "    ", first: "  explained by: ")
            }
            for reference in finding.references {
                out.append("  see: \(safe(reference))")
            }
            out.append("")
        }
        return out
    }

    private func pods() -> [String] {
        guard !report.pods.isEmpty else { return ["No pods were collected.", ""] }
        let multiNamespace = Set(report.pods.map(\.namespace)).count > 1
        var rows = [(multiNamespace ? ["NAMESPACE"] : []) + ["NAME", "READY", "STATUS", "RESTARTS"]]
        for pod in report.pods {
            rows.append(
                (multiNamespace ? [pod.namespace] : [])
                    + [pod.name, pod.ready, pod.status, ReportText.restarts(pod, now: report.collectedAt)].map(safe)
            )
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        let statusColumn = rows[0].count - 2
        var out = [paint("Pods", .bold)]
        for (index, row) in rows.enumerated() {
            let cells = row.enumerated().map { column, cell -> String in
                let padded =
                    column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                guard index > 0, column == statusColumn else { return padded }
                return paint(padded, report.pods[index - 1].healthy ? .green : .red)
            }
            out.append(cells.joined(separator: "   "))
        }
        out.append("")
        return out
    }

    private func collection() -> [String] {
        var out: [String] = []
        if !report.collection.isEmpty {
            out.append(paint("Not collected (\(report.collection.count))", .bold))
            for issue in report.collection {
                out += wrapped(
                    "\(ReportText.status(issue)): \(issue.item): \(issue.reason)",
                    indent: "    ",
                    first: "  "
                )
            }
            out.append("")
        }
        let redaction =
            report.redaction.enabled
            ? "Redaction: on, \(report.redaction.hiddenValues) values hidden." : "Redaction: off."
        out.append(redaction + (report.partial ? "  Bundle is PARTIAL." : ""))
        return out
    }
}
