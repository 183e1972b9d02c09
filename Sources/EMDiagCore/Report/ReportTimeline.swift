import Foundation

/// The timeline picture of the HTML report: an inline SVG with one row per pod over a shared time axis.
/// Container runs are green bars, failed terminations red dots (labelled `OOMKilled`, `Error exit 1`), clean
/// exits grey dots, warning events orange triangles at their first occurrence with a line to the last; a dashed
/// line marks the first failure, so a reader sees what broke first. Every marker has a `<title>` tooltip.
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
        let times = report.timeline.flatMap { row in
            row.events.flatMap { event in [event.time, event.lastSeen ?? event.time] }
        }
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

    /// One SVG element. Attribute values are escaped here; `content` is markup the caller escaped.
    private func el(_ name: String, _ attributes: KeyValuePairs<String, String>, _ content: String? = nil) -> String {
        let attrs = attributes.map { " \($0.key)=\"\(esc($0.value))\"" }.joined()
        return content.map { "<\(name)\(attrs)>\($0)</\(name)>" } ?? "<\(name)\(attrs)/>"
    }

    private func title(_ text: String) -> String { "<title>\(esc(text))</title>" }

    func svg() -> String {
        guard let window else {
            return "<p>No container starts, terminations or warning events were recorded.</p>"
        }
        let height = axisHeight + rowHeight * Double(report.timeline.count) + legendHeight
        var parts: [String] = []
        parts += axis(window, height: height - legendHeight)
        for (index, row) in report.timeline.enumerated() {
            parts += self.row(row, top: axisHeight + rowHeight * Double(index), window: window)
        }
        parts += firstFailure(window, height: height - legendHeight)
        parts += legend(top: height - legendHeight + 10)
        return el(
            "svg",
            [
                "xmlns": "http://www.w3.org/2000/svg", "role": "img",
                "aria-label": "Timeline of restarts, terminations and warning events per pod",
                "width": fmt(width), "height": fmt(height), "viewBox": "0 0 \(fmt(width)) \(fmt(height))",
                "font-family": "system-ui,sans-serif", "font-size": "12",
            ],
            "\n" + parts.joined(separator: "\n") + "\n"
        )
    }

    private func axis(_ window: (start: Date, end: Date), height: Double) -> [String] {
        let span = window.end.timeIntervalSince(window.start)
        let steps: [Double] = [
            1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
            172_800, 604_800,
        ]
        let step = steps.first { span / $0 <= 8 } ?? 604_800
        let calendar = Self.utcCalendar
        let format: (Date) -> String = { date in
            let c = calendar.dateComponents([.month, .day, .hour, .minute, .second], from: date)
            let hm = String(format: "%02d:%02d", c.hour ?? 0, c.minute ?? 0)
            if span > 86400 { return String(format: "%02d-%02d ", c.month ?? 0, c.day ?? 0) + hm }
            return step < 60 ? hm + String(format: ":%02d", c.second ?? 0) : hm
        }
        var out = [el("text", ["x": "8", "y": "18", "font-weight": "600"], "pod (UTC)")]
        var tick = (window.start.timeIntervalSince1970 / step).rounded(.up) * step
        while tick <= window.end.timeIntervalSince1970 {
            let date = Date(timeIntervalSince1970: tick)
            let px = fmt(x(date, window))
            out.append(
                el("line", ["x1": px, "y1": fmt(axisHeight - 8), "x2": px, "y2": fmt(height), "stroke": "#e6e9ed"])
            )
            out.append(
                el(
                    "text",
                    ["x": px, "y": fmt(axisHeight - 14), "text-anchor": "middle", "fill": "#4a5562"],
                    esc(format(date))
                )
            )
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
        let stripe = Int((top - axisHeight) / rowHeight) % 2 == 0 ? "#fafbfc" : "#ffffff"
        var out = [
            "<g class=\"row\">",
            el("rect", ["x": "0", "y": fmt(top), "width": fmt(width), "height": fmt(rowHeight), "fill": stripe]),
            el(
                "text",
                ["x": "8", "y": fmt(mid - 4), "font-weight": "600"],
                title("\(row.namespace)/\(row.pod)") + esc(name)
            ),
        ]
        if let pod {
            out.append(
                el(
                    "text",
                    ["x": "8", "y": fmt(mid + 11), "fill": pod.healthy ? "#2e7d32" : "#c62828"],
                    esc("\(pod.status) · \(pod.ready) ready · \(pod.restarts) restarts")
                )
            )
        }
        out.append(
            el(
                "line",
                ["x1": fmt(plotLeft), "y1": fmt(mid), "x2": fmt(plotRight), "y2": fmt(mid), "stroke": "#c9ced6"]
            )
        )
        out += runs(row, mid: mid, window: window)
        var labelEnd = -Double.infinity
        for event in row.events where event.kind != .started {
            let px = x(event.time, window)
            let tip = title(tooltip(event, pod: row.pod))
            if event.kind == .warning {
                out += warningSpan(event, from: px, mid: mid, window: window)
                let points = "\(fmt(px)),\(fmt(mid - 7)) \(fmt(px - 6)),\(fmt(mid + 5)) \(fmt(px + 6)),\(fmt(mid + 5))"
                out.append(el("polygon", ["points": points, "fill": "#e09b00", "stroke": "#fff"], tip))
            } else {
                let fill = Self.isFailure(event) ? "#c62828" : "#8a96a3"
                out.append(
                    el("circle", ["cx": fmt(px), "cy": fmt(mid), "r": "6", "fill": fill, "stroke": "#fff"], tip)
                )
            }
            // Label a failure only when its text fits after the previous label of this row.
            let label = event.label
            let textWidth = Double(label.count) * 6.6
            if Self.isFailure(event), px - textWidth / 2 > labelEnd + 4 {
                let y = event.kind == .warning ? mid + 18 : mid - 10
                out.append(
                    el(
                        "text",
                        ["x": fmt(px), "y": fmt(y), "text-anchor": "middle", "font-size": "11", "fill": "#1d232a"],
                        esc(label)
                    )
                )
                labelEnd = px + textWidth / 2
            }
        }
        out.append("</g>")
        return out
    }

    /// A warning seen more than once: a line from its first to its last occurrence, ending in a tick.
    private func warningSpan(
        _ event: DiagnosticReport.TimelineEvent,
        from px: Double,
        mid: Double,
        window: (start: Date, end: Date)
    ) -> [String] {
        guard let last = event.lastSeen, last > event.time else { return [] }
        let x1 = fmt(x(last, window))
        return [
            el(
                "line",
                [
                    "x1": fmt(px), "y1": fmt(mid + 3), "x2": x1, "y2": fmt(mid + 3), "stroke": "#e09b00",
                    "stroke-width": "2", "opacity": "0.7",
                ]
            ),
            el(
                "line",
                ["x1": x1, "y1": fmt(mid - 1), "x2": x1, "y2": fmt(mid + 7), "stroke": "#e09b00", "stroke-width": "2"]
            ),
        ]
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
            return el(
                "rect",
                [
                    "x": fmt(x0), "y": fmt(mid - 3), "width": fmt(w), "height": "6", "rx": "3", "fill": "#7cc48a",
                    "opacity": "0.8",
                ]
            )
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

    /// A dashed line at the earliest failure of any pod, captioned with the pod, what happened and when.
    private func firstFailure(_ window: (start: Date, end: Date), height: Double) -> [String] {
        let failures = report.timeline.flatMap { row in
            row.events.filter(Self.isFailure).map { (row.pod, $0) }
        }
        guard let (pod, first) = failures.min(by: { $0.1.time < $1.1.time }) else { return [] }
        let px = fmt(x(first.time, window))
        let caption = "first failure: \(pod) \(first.label) at \(ReportText.timestamp(first.time))"
        let rightHalf = x(first.time, window) > (plotLeft + plotRight) / 2
        return [
            el(
                "line",
                [
                    "x1": px, "y1": fmt(axisHeight - 6), "x2": px, "y2": fmt(height), "stroke": "#c62828",
                    "stroke-dasharray": "4 3",
                ]
            ),
            el(
                "text",
                [
                    "x": px, "y": fmt(axisHeight - 1), "text-anchor": rightHalf ? "end" : "start",
                    "dx": rightHalf ? "-4" : "4", "font-size": "11", "fill": "#c62828",
                ],
                esc(caption)
            ),
        ]
    }

    private func legend(top: Double) -> [String] {
        let y = fmt(top + 8)
        let dot = fmt(top + 5)
        let dot2 = fmt(top + 10)
        return [
            "<g class=\"legend\" font-size=\"11\" fill=\"#4a5562\">",
            el("rect", ["x": "8", "y": fmt(top + 2), "width": "24", "height": "6", "rx": "3", "fill": "#7cc48a"]),
            el("text", ["x": "38", "y": y], "container running"),
            el("circle", ["cx": "160", "cy": dot, "r": "6", "fill": "#c62828"]),
            el("text", ["x": "172", "y": y], "terminated (failure)"),
            el("circle", ["cx": "310", "cy": dot, "r": "6", "fill": "#8a96a3"]),
            el("text", ["x": "322", "y": y], "exited 0"),
            el("polygon", ["points": "400,\(fmt(top - 2)) 394,\(dot2) 406,\(dot2)", "fill": "#e09b00"]),
            el("text", ["x": "414", "y": y], "warning event"),
            "</g>",
        ]
    }
}
