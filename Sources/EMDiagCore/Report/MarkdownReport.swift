import Foundation

/// The report as Markdown, to paste into a ticket: the same content as the text report, with headings, a pod
/// table and evidence in fenced code blocks. Text outside code blocks is escaped (`|`, backticks, `*`, `_`, `<`,
/// ...) so that log text cannot break the table or inject markup.
struct MarkdownReport {
    let report: DiagnosticReport

    /// A playbook author's sentence (a remedy): escaped, but its `code` spans kept as code.
    static func prose(_ text: String) -> String {
        ReportText.codeSpans(text).map { $0.isCode ? "`\(ReportText.terminalSafe(String($0.text)))`" : escape(String($0.text)) }
            .joined()
    }

    /// Escapes Markdown punctuation in inline text and folds newlines to spaces (table cells must be one line).
    static func escape(_ text: String) -> String {
        var out = ""
        for character in ReportText.terminalSafe(text) {
            switch character {
            case "\\", "`", "*", "_", "[", "]", "<", ">", "|", "#", "~", "&":
                out += "\\\(character)"
            case "\n", "\r":
                out += " "
            default:
                out.append(character)
            }
        }
        return out
    }

    /// A fenced code block whose fence is longer than any backtick run inside (CommonMark), so no content can close it.
    static func codeBlock(_ rawLines: [String]) -> [String] {
        let lines = rawLines.map(ReportText.terminalSafe)
        let body = lines.joined(separator: "\n")
        var longest = 0
        var run = 0
        for character in body {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return [fence + "text"] + lines + [fence]
    }

    private func esc(_ text: String) -> String { Self.escape(text) }

    func render() -> String {
        var out: [String] = []
        out.append("# \(esc(report.tool.name)) report: \(esc(report.targetLine))")
        out.append("")
        out.append("- Collected: \(ReportText.timestamp(report.collectedAt))")
        out.append("- Tool: \(esc(report.tool.name)) \(esc(report.tool.version))")
        if let bundle = report.bundle { out.append("- Bundle: \(esc(bundle))") }
        out.append(
            "- Redaction: "
                + (report.redaction.enabled ? "on, \(report.redaction.hiddenValues) values hidden" : "off")
        )
        if report.partial {
            out += ["", "> **Partial bundle:** collection stopped early; findings and pods may be incomplete."]
        }
        out.append("")
        out += findings()
        out += pods()
        out += collection()
        return out.joined(separator: "\n") + "\n"
    }

    private func findings() -> [String] {
        var out = ["## Findings", ""]
        guard !report.findings.isEmpty else { return out + ["No problems found.", ""] }
        let counts = report.severityCounts.map { "\($1) \($0.rawValue)" }.joined(separator: ", ")
        out += ["\(report.findings.count) (\(counts)), root cause first.", ""]
        for (index, finding) in report.findings.enumerated() {
            out.append("### \(index + 1). \(finding.severity.rawValue.uppercased()): \(esc(finding.title))")
            out.append("")
            out.append("Rule `\(finding.id.replacingOccurrences(of: "`", with: "'"))`")
            out.append("")
            out.append(esc(finding.summary))
            out.append("")
            if !finding.resources.isEmpty {
                out.append("**Resources:** " + finding.resources.map { esc($0.description) }.joined(separator: ", "))
                out.append("")
            }
            if !finding.evidence.isEmpty {
                out.append("**Evidence:**")
                out.append("")
                let lines = finding.evidence.flatMap { evidence in
                    let excerpt = evidence.excerpt.split(separator: "\n", omittingEmptySubsequences: false)
                    let first = "\(ReportText.location(evidence))  \(excerpt.first ?? "")"
                    return [first] + excerpt.dropFirst().map { "    \($0)" }
                }
                out += Self.codeBlock(lines)
                out.append("")
            }
            out.append("**What to do:** \(Self.prose(finding.remedy))")
            out.append("")
            if !finding.explains.isEmpty {
                out.append("**Explains:** " + finding.explains.map(esc).joined(separator: ", "))
                out.append("")
            }
            if let parent = finding.explainedBy {
                out.append("**Explained by:** \(esc(parent))")
                out.append("")
            }
            if !finding.references.isEmpty {
                out.append("**References:** " + finding.references.map(reference).joined(separator: ", "))
                out.append("")
            }
        }
        return out
    }

    /// An http(s) reference as an autolink (`>`, `<` and spaces percent-encoded, since they end one);
    /// anything else as escaped text, so no other scheme becomes a link.
    private func reference(_ url: String) -> String {
        guard ReportText.isWebLink(url) else { return esc(url) }
        let encoded = url.replacingOccurrences(of: " ", with: "%20").replacingOccurrences(of: ">", with: "%3E")
            .replacingOccurrences(of: "<", with: "%3C")
        return "<\(encoded)>"
    }

    private func pods() -> [String] {
        var out = ["## Pods", ""]
        guard !report.pods.isEmpty else { return out + ["No pods were collected.", ""] }
        out.append("| Namespace | Name | Ready | Status | Restarts | Node |")
        out.append("|---|---|---|---|---|---|")
        for pod in report.pods {
            let cells = [
                pod.namespace, pod.name, pod.ready, pod.status, ReportText.restarts(pod, now: report.collectedAt),
                pod.node ?? "",
            ]
            out.append("| " + cells.map(esc).joined(separator: " | ") + " |")
        }
        out.append("")
        return out
    }

    private func collection() -> [String] {
        guard !report.collection.isEmpty else { return [] }
        var out = ["## Not collected", "", "| Status | Item | Reason |", "|---|---|---|"]
        for issue in report.collection {
            out.append("| \(esc(ReportText.status(issue))) | \(esc(issue.item)) | \(esc(issue.reason)) |")
        }
        out.append("")
        return out
    }
}
