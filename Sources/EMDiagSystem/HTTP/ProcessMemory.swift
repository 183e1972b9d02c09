import Foundation

/// This process's memory counters from `/proc/self/status` (Linux; 0 elsewhere).
package enum ProcessMemory {
    /// Resets the peak (VmHWM) to the current RSS (Linux 4.0 and later); a no-op where unsupported.
    package static func resetPeak() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// A `kB` field of /proc/self/status, such as `VmRSS` (now) or `VmHWM` (peak).
    package static func kilobytes(_ field: String) -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
