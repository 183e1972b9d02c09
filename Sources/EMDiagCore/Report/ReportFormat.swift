import Foundation

/// The report formats of `--format` and `--report FILE`; all render the same `DiagnosticReport`.
package enum ReportFormat: String, CaseIterable, Codable, Sendable {
    case text, markdown, json, html

    /// The format a `--report FILE` extension asks for: `txt`, `md`/`markdown`, `json`, `html`/`htm`
    /// (case-insensitive, with or without the leading dot). Nil for anything else.
    package init?(fileExtension: String) {
        let ext = fileExtension.hasPrefix(".") ? String(fileExtension.dropFirst()) : fileExtension
        switch ext.lowercased() {
        case "txt", "text": self = .text
        case "md", "markdown": self = .markdown
        case "json": self = .json
        case "html", "htm": self = .html
        default: return nil
        }
    }

    /// The format for a report file path, from its extension (`report.md` -> markdown).
    package init?(path: String) {
        self.init(fileExtension: URL(fileURLWithPath: path).pathExtension)
    }

    /// The extension used for the copy written into the bundle (`report/report.md`).
    package var fileExtension: String {
        switch self {
        case .text: "txt"
        case .markdown: "md"
        case .json: "json"
        case .html: "html"
        }
    }

    /// Renders a report in this format.
    /// - Parameters:
    ///   - report: the report model.
    ///   - colour: ANSI colour in `text` (the caller decides: a TTY and no `NO_COLOR`); ignored by other formats.
    ///   - width: the column to wrap `text` at.
    package func render(_ report: DiagnosticReport, colour: Bool = false, width: Int = 100) -> String {
        switch self {
        case .text: TextReport(report: report, colour: colour, width: width).render()
        case .markdown: MarkdownReport(report: report).render()
        case .json: report.jsonString()
        case .html: HTMLReport(report: report).render()
        }
    }
}

extension DiagnosticReport {
    /// The JSON form: sorted keys, ISO-8601 dates, pretty-printed, ending in a newline.
    package func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        // Encoding plain structs, strings and dates cannot fail; an empty object keeps the output valid JSON anyway.
        return ((try? encoder.encode(self)) ?? Data("{}".utf8)) + Data("\n".utf8)
    }

    package func jsonString() -> String {
        String(decoding: jsonData(), as: UTF8.self)
    }

    /// Reads a report back from its JSON form.
    package static func decode(json: Data) throws -> DiagnosticReport {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(DiagnosticReport.self, from: json)
    }
}

/// Small text helpers shared by the renderers.
enum ReportText {
    /// An author's sentence (a remedy) cut at its `code` spans: a pair of backticks on one line with text between.
    /// An unpaired backtick, an empty pair and a pair across lines stay plain text.
    static func codeSpans(_ text: String) -> [(text: Substring, isCode: Bool)] {
        var pieces: [(text: Substring, isCode: Bool)] = []
        var plainStart = text.startIndex
        var rest = text[...]
        while let open = rest.firstIndex(of: "`") {
            let after = rest.index(after: open)
            guard let close = rest[after...].firstIndex(where: { $0 == "`" || $0 == "\n" }) else { break }
            let next = rest.index(after: close)
            if rest[close] == "`", after < close {
                if plainStart < open { pieces.append((text[plainStart..<open], false)) }
                pieces.append((text[after..<close], true))
                plainStart = next
            }
            rest = text[next...]
        }
        if plainStart < text.endIndex { pieces.append((text[plainStart...], false)) }
        return pieces
    }

    /// "2024-05-01T10:00:00Z".
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }

    /// kubectl's RESTARTS cell, "5 (2m ago)", measured from the collection time.
    static func restarts(_ pod: DiagnosticReport.PodSummary, now: Date) -> String {
        PodStatus.restartsColumn(restarts: pod.restarts, lastRestart: pod.lastRestart, now: now)
    }

    /// True for http(s) URLs, the only references rendered as links.
    static func isWebLink(_ reference: String) -> Bool {
        let lower = reference.lowercased()
        return lower.hasPrefix("https://") || lower.hasPrefix("http://")
    }

    /// "forbidden (HTTP 403)": the status of a collection problem.
    static func status(_ issue: Manifest.CollectionIssue) -> String {
        issue.status.rawValue + (issue.httpStatus.map { " (HTTP \($0))" } ?? "")
    }

    /// "path:line" of a piece of evidence ("path" alone when the line is unknown).
    static func location(_ evidence: Evidence) -> String {
        evidence.line.map { "\(evidence.path):\($0)" } ?? evidence.path
    }

    /// Word-wraps text to `width` columns; explicit newlines are kept, words longer than a line are not split.
    static func wrap(_ text: String, width: Int, indent: String = "", firstIndent: String? = nil) -> [String] {
        var lines: [String] = []
        var prefix = firstIndent ?? indent
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = prefix
            var hasWord = false
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: true) {
                if hasWord, line.count + 1 + word.count > width {
                    lines.append(line)
                    line = indent
                    hasWord = false
                }
                line += (hasWord ? " " : "") + word
                hasWord = true
            }
            lines.append(hasWord ? line : "")
            prefix = indent
        }
        return lines
    }

    /// Makes untrusted text safe for a terminal: control characters (ESC, CR, BEL, ...) become visible
    /// caret notation (`^[`), so a log line cannot move the cursor or recolour the screen. Tabs and newlines stay.
    static func terminalSafe(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x09, 0x0A:
                out.unicodeScalars.append(scalar)
            case 0x00..<0x20:
                out += "^" + String(UnicodeScalar(UInt8(scalar.value + 0x40)))
            case 0x7F:
                out += "^?"
            case 0x80..<0xA0:
                out += "\\u{\(String(scalar.value, radix: 16))}"
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
