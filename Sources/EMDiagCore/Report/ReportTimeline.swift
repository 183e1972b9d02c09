import Foundation

/// The timeline picture of the HTML report: an inline SVG with one row per pod over a shared time axis.
/// Container runs are green bars, failed terminations red dots (labelled `OOMKilled`, `Error exit 1`), clean exits
/// grey dots, warning events orange triangles at their first occurrence with a line to the last; a dashed line marks the first failure, so a reader sees what broke
/// first. Every marker carries a `<title>` tooltip with the details.
struct ReportTimeline {
    let report: DiagnosticReport

    private let width = 1120.0
    private let labelWidth = 300.0
    private let rightMargin = 24.0
    private let axisHeight = 44.0
    private let rowHeight = 46.0
    private let legendHeight = 36.0

    private var plotLeft: Double { labelWidth }
    private var plotRight: Double { width - rightMargin }

    private func esc(_ text: String) -> String { HTMLReport.escape(text) }

    private static func isFailure(_ event: DiagnosticReport.TimelineEvent) -> Bool {
        switch event.kind {
        case .started: false
        case .terminated: (event.exitCode ?? 1) != 0 || (event.reason != nil && event.reason != "Completed")
        case .warning: true
        }
    }

    /// The time window: first to last event, widened so that a single instant still has room.
    private var window: (start: Date, end: Date)? {
        let times = report.timeline.flatMap { row in row.events.flatMap { event in [event.time, event.lastSeen ?? event.time] } }
        guard let first = times.min(), let last = times.max() else { return nil }
        let span = max(last.timeIntervalSince(first), 60)
        let pad = span * 0.04
        return (first.addingTimeInterval(-pad), first.addingTimeInterval(span + pad))
    }

    private func x(_ date: Date, _ window: (start: Date, end: Date)) -> Double {
        let span = window.end.timeIntervalSince(window.start)
        return plotLeft + (plotRight - plotLeft) * date.timeIntervalSince(window.start) / span
    }

    private func fmt(_ value: Double) -> String { String(format: "%.1f", value) }

    func svg() -> String {
        guard let window else {
            return "<p>No container starts, terminations or warning events were recorded.</p>"
        }
        let height = axisHeight + rowHeight * Double(report.timeline.count) + legendHeight
        var parts: [String] = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"Timeline of restarts, terminations and warning events per pod\" "
                + "width=\"\(fmt(width))\" height=\"\(fmt(height))\" viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" "
                + "font-family=\"system-ui,sans-serif\" font-size=\"12\">"
        ]
        parts += axis(window, height: height - legendHeight)
        for (index, row) in report.timeline.enumerated() {
            parts += self.row(row, top: axisHeight + rowHeight * Double(index), window: window)
        }
        parts += firstFailure(window, height: height - legendHeight)
        parts += legend(top: height - legendHeight + 10)
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    private func axis(_ window: (start: Date, end: Date), height: Double) -> [String] {
        let span = window.end.timeIntervalSince(window.start)
        let steps: [Double] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
                               172_800, 604_800]
        let step = steps.first { span / $0 <= 8 } ?? 604_800
        let calendar = Self.utcCalendar
        let format: (Date) -> String = { date in
            let c = calendar.dateComponents([.month, .day, .hour, .minute, .second], from: date)
            let hm = String(format: "%02d:%02d", c.hour ?? 0, c.minute ?? 0)
            if span > 86400 { return String(format: "%02d-%02d ", c.month ?? 0, c.day ?? 0) + hm }
            return step < 60 ? hm + String(format: ":%02d", c.second ?? 0) : hm
        }
        var out = ["<text x=\"8\" y=\"18\" font-weight=\"600\">pod (UTC)</text>"]
        var tick = (window.start.timeIntervalSince1970 / step).rounded(.up) * step
        while tick <= window.end.timeIntervalSince1970 {
            let date = Date(timeIntervalSince1970: tick)
            let px = fmt(x(date, window))
            out.append("<line x1=\"\(px)\" y1=\"\(fmt(axisHeight - 8))\" x2=\"\(px)\" y2=\"\(fmt(height))\" stroke=\"#e6e9ed\"/>")
            out.append("<text x=\"\(px)\" y=\"\(fmt(axisHeight - 14))\" text-anchor=\"middle\" fill=\"#4a5562\">\(format(date))</text>")
            tick += step
        }
        return out
    }

    private static let utcCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        return calendar
    }()

    private func row(_ row: DiagnosticReport.PodTimeline, top: Double, window: (start: Date, end: Date)) -> [String] {
        let mid = top + rowHeight / 2 + 4
        let pod = report.pods.first { $0.name == row.pod && $0.namespace == row.namespace }
        let name = row.pod.count > 34 ? String(row.pod.prefix(33)) + "…" : row.pod
        var out = [
            "<g class=\"row\">",
            "<rect x=\"0\" y=\"\(fmt(top))\" width=\"\(fmt(width))\" height=\"\(fmt(rowHeight))\" fill=\"\(Int(top / rowHeight) % 2 == 0 ? "#fafbfc" : "#ffffff")\"/>",
            "<text x=\"8\" y=\"\(fmt(mid - 4))\" font-weight=\"600\"><title>\(esc(row.namespace))/\(esc(row.pod))</title>\(esc(name))</text>",
        ]
        if let pod {
            let colour = pod.healthy ? "#2e7d32" : "#c62828"
            out.append("<text x=\"8\" y=\"\(fmt(mid + 11))\" fill=\"\(colour)\">\(esc(pod.status)) · \(esc(pod.ready)) ready · \(pod.restarts) restarts</text>")
        }
        out.append("<line x1=\"\(fmt(plotLeft))\" y1=\"\(fmt(mid))\" x2=\"\(fmt(plotRight))\" y2=\"\(fmt(mid))\" stroke=\"#c9ced6\"/>")
        out += runs(row, mid: mid, window: window)
        var labelEnd = -Double.infinity
        for event in row.events where event.kind != .started {
            let px = x(event.time, window)
            let tip = esc(tooltip(event, pod: row.pod))
            if event.kind == .warning {
                if let last = event.lastSeen, last > event.time {
                    let x1 = x(last, window)
                    out.append("<line x1=\"\(fmt(px))\" y1=\"\(fmt(mid + 3))\" x2=\"\(fmt(x1))\" y2=\"\(fmt(mid + 3))\" stroke=\"#e09b00\" stroke-width=\"2\" opacity=\"0.7\"/>")
                    out.append("<line x1=\"\(fmt(x1))\" y1=\"\(fmt(mid - 1))\" x2=\"\(fmt(x1))\" y2=\"\(fmt(mid + 7))\" stroke=\"#e09b00\" stroke-width=\"2\"/>")
                }
                let points = "\(fmt(px)),\(fmt(mid - 7)) \(fmt(px - 6)),\(fmt(mid + 5)) \(fmt(px + 6)),\(fmt(mid + 5))"
                out.append("<polygon points=\"\(points)\" fill=\"#e09b00\" stroke=\"#fff\"><title>\(tip)</title></polygon>")
            } else {
                let fill = Self.isFailure(event) ? "#c62828" : "#8a96a3"
                out.append("<circle cx=\"\(fmt(px))\" cy=\"\(fmt(mid))\" r=\"6\" fill=\"\(fill)\" stroke=\"#fff\"><title>\(tip)</title></circle>")
            }
            // Label a marker only when the text fits after the previous label of this row.
            let label = event.label
            let textWidth = Double(label.count) * 6.6
            let y = event.kind == .warning ? mid + 18 : mid - 10
            if px - textWidth / 2 > labelEnd + 4, Self.isFailure(event) {
                out.append("<text x=\"\(fmt(px))\" y=\"\(fmt(y))\" text-anchor=\"middle\" font-size=\"11\" fill=\"#1d232a\">\(esc(label))</text>")
                labelEnd = px + textWidth / 2
            }
        }
        out.append("</g>")
        return out
    }

    /// Green bars for the known runs of each container (a start up to its termination, or to the end).
    private func runs(_ row: DiagnosticReport.PodTimeline, mid: Double, window: (start: Date, end: Date)) -> [String] {
        var open: [String: Date] = [:]
        var bars: [(Date, Date)] = []
        for event in row.events {
            let container = event.container ?? ""
            switch event.kind {
            case .started: open[container] = event.time
            case .terminated:
                if let start = open.removeValue(forKey: container) { bars.append((start, event.time)) }
            case .warning: break
            }
        }
        bars += open.keys.sorted().compactMap { key in open[key].map { ($0, window.end) } }
        return bars.map { start, end in
            let x0 = x(start, window)
            let w = max(x(end, window) - x0, 2)
            return "<rect x=\"\(fmt(x0))\" y=\"\(fmt(mid - 3))\" width=\"\(fmt(w))\" height=\"6\" rx=\"3\" fill=\"#7cc48a\" opacity=\"0.8\"/>"
        }
    }

    private func tooltip(_ event: DiagnosticReport.TimelineEvent, pod: String) -> String {
        var text = "\(ReportText.timestamp(event.time)) \(pod)"
        if let container = event.container { text += " [\(container)]" }
        text += ": \(event.label)"
        if let last = event.lastSeen, let count = event.count, count > 1 {
            text += " (last \(ReportText.timestamp(last)))"
        }
        if let message = event.message, !message.isEmpty {
            text += " - " + (message.count > 300 ? String(message.prefix(300)) + "…" : message)
        }
        return text
    }

    private func firstFailure(_ window: (start: Date, end: Date), height: Double) -> [String] {
        let failures = report.timeline.flatMap { row in
            row.events.filter(Self.isFailure).map { (row.pod, $0) }
        }
        guard let (pod, first) = failures.min(by: { $0.1.time < $1.1.time }) else { return [] }
        let px = fmt(x(first.time, window))
        let caption = "first failure: \(pod) \(first.label) at \(ReportText.timestamp(first.time))"
        let anchor = x(first.time, window) > (plotLeft + plotRight) / 2 ? "end" : "start"
        return [
            "<line x1=\"\(px)\" y1=\"\(fmt(axisHeight - 6))\" x2=\"\(px)\" y2=\"\(fmt(height))\" stroke=\"#c62828\" stroke-dasharray=\"4 3\"/>",
            "<text x=\"\(px)\" y=\"\(fmt(axisHeight - 1))\" text-anchor=\"\(anchor)\" dx=\"\(anchor == "end" ? -4 : 4)\" font-size=\"11\" fill=\"#c62828\">\(esc(caption))</text>",
        ]
    }

    private func legend(top: Double) -> [String] {
        let y = fmt(top + 8)
        return [
            "<g class=\"legend\" font-size=\"11\" fill=\"#4a5562\">",
            "<rect x=\"8\" y=\"\(fmt(top + 2))\" width=\"24\" height=\"6\" rx=\"3\" fill=\"#7cc48a\"/><text x=\"38\" y=\"\(y)\">container running</text>",
            "<circle cx=\"160\" cy=\"\(fmt(top + 5))\" r=\"6\" fill=\"#c62828\"/><text x=\"172\" y=\"\(y)\">terminated (failure)</text>",
            "<circle cx=\"310\" cy=\"\(fmt(top + 5))\" r=\"6\" fill=\"#8a96a3\"/><text x=\"322\" y=\"\(y)\">exited 0</text>",
            "<polygon points=\"400,\(fmt(top - 2)) 394,\(fmt(top + 10)) 406,\(fmt(top + 10))\" fill=\"#e09b00\"/><text x=\"414\" y=\"\(y)\">warning event</text>",
            "</g>",
        ]
    }
}
