import Foundation

/// Kubernetes times: RFC 3339 API timestamps (UTC, with or without fractional seconds; `eventTime` has
/// microseconds) and kubectl's compact ages ("45s", "3m12s", "2h5m", "4d").
package enum KubeTime {
    /// Parses `2024-05-01T10:00:00Z` and the micro-time form `2024-05-01T10:00:00.123456Z`.
    /// - Returns: nil for a missing, empty or unreadable timestamp.
    package static func parse(_ text: String?) -> Date? {
        guard let text, !text.isEmpty else { return nil }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Formats an elapsed time the way `kubectl get` prints AGE (`duration.HumanDuration` in
    /// k8s.io/apimachinery; seconds truncate toward zero as Go's `int()` does).
    package static func humanDuration(_ interval: TimeInterval) -> String {
        let seconds = Int(interval.rounded(.towardZero))
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 120 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 { return compound(minutes, "m", seconds % 60, "s") }
        if minutes < 180 { return "\(minutes)m" }
        let hours = minutes / 60
        if hours < 8 { return compound(hours, "h", minutes % 60, "m") }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 { return compound(hours / 24, "d", hours % 24, "h") }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        if hours < 24 * 365 * 8 { return compound(hours / 24 / 365, "y", (hours / 24) % 365, "d") }
        return "\(hours / 24 / 365)y"
    }

    /// `translateTimestampSince`: the age of an API timestamp, or `<unknown>` when it is absent or unreadable.
    package static func age(of timestamp: String?, now: Date) -> String {
        guard let date = parse(timestamp) else { return "<unknown>" }
        return humanDuration(now.timeIntervalSince(date))
    }

    private static func compound(_ major: Int, _ majorUnit: String, _ minor: Int, _ minorUnit: String) -> String {
        minor == 0 ? "\(major)\(majorUnit)" : "\(major)\(majorUnit)\(minor)\(minorUnit)"
    }
}
