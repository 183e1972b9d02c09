// Redaction throughput benchmark (scripts/bench-redact builds it in release and runs it).
// Generates an ordinary-looking log in memory, streams it through a RedactingSink in 64 KiB chunks
// into a sink that discards bytes, and prints MB/s. Not a test: no assertion on time anywhere.
import EMDiagCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// CPU time of this thread: on a shared machine wall time measures the neighbours too.
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

final class NullSink: ByteSink {
    func write(_ bytes: UnsafeRawBufferPointer) throws {}
}

let megabytes = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 200
let templates = [
    "INFO  request %d GET /api/v1/items?page=%d 200 OK in %dms",
    "DEBUG db pool stats: size=10 idle=%d in_use=%d waiting=0",
    "INFO  [alembic.runtime.migration] Running upgrade 3f2a1b9c%d -> 4e5d6c7b%d, add table",
    "WARN  slow query took %dms: SELECT id, name FROM tenants WHERE org_id = $1 LIMIT %d",
    "INFO  Started container api (restart %d), probe ok in %dms",
    "{\"level\":\"info\",\"ts\":\"2026-01-05T10:00:00Z\",\"msg\":\"handled\",\"status\":200,\"duration_ms\":%d,\"route\":\"/v1/runs/%d\"}",
    "INFO  keycloak realm org-%d synced, %d users",
    "INFO  calling https://api.internal.example.com/v1/tenants/%d (attempt %d)",
    "INFO  token refreshed for service account sa-%d, expires in %ds",
    "ERROR FATAL:  password authentication failed for user \"svc_%d\" (attempt %d)",
]
let secrets = [
    "WARN  retry postgresql://em:Bench-Pass-%d@db:5432/em in %ds",
    "DEBUG headers Authorization: Bearer bench-token-%d-abcdef %d",
]
func generate(megabytes: Int) -> (log: [UInt8], lines: Int) {
var log: [UInt8] = []
log.reserveCapacity(megabytes << 20 + 4096)
var i = 0
while log.count < megabytes << 20 {
    let template = i % 997 == 0 ? secrets[i % 2] : templates[i % templates.count]
    log += Array("2026-01-05T10:\(String(format: "%02d:%02d", (i / 60) % 60, i % 60)).\(100_000 + i % 900_000)Z ".utf8)
    log += Array(String(format: template, i, i % 97).utf8)
    log.append(10)
    i += 1
}
return (log, i)
}

func run(_ redactor: Redactor, over log: [UInt8]) throws -> (seconds: Double, cpu: Double, hidden: Int) {
    let sink = redactor.sink(file: "bench.log", output: NullSink())
    let clock = ContinuousClock()
    let cpuStart = threadCPUSeconds()
    let elapsed = try clock.measure {
        try log.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let end = min(offset + 65_536, all.count)
                try sink.write(UnsafeRawBufferPointer(rebasing: all[offset..<end]))
                offset = end
            }
        }
        try sink.close()
    }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return (seconds, threadCPUSeconds() - cpuStart, redactor.report().totals.values.reduce(0, +))
}

let (log, lines) = generate(megabytes: megabytes)
let redactor = try Redactor()
redactor.register(secretValues: (0..<50).map { "cluster-secret-value-\($0)" })
_ = try run(try Redactor(), over: log)  // warm up
let (seconds, cpu, hidden) = try run(redactor, over: log)
let mb = Double(log.count) / 1_000_000
print(String(
    format: "redaction: %.0f MB, %d lines, %d values hidden: %.3f s CPU = %.0f MB/s per core (wall %.3f s = %.0f MB/s)",
    mb, lines, hidden, cpu, mb / cpu, seconds, mb / seconds))
