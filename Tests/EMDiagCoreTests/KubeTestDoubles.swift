import EMDiagTestSupport
import Foundation
import Logging
import Testing

@testable import EMDiagCore

/// A recorded request (URL and headers) from the stub transport.
struct RecordedRequest: Sendable {
    var method: String
    var url: String
    var headers: [HTTPHeader]
    var body: String
    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
    var path: String { URLComponents(string: url)?.path ?? "" }
    var query: [String: String] {
        Dictionary((URLComponents(string: url)?.queryItems ?? []).map { ($0.name, $0.value ?? "") }) { a, _ in a }
    }
}

/// What the stub answers: a status, headers and a body, or a transport failure.
enum StubAnswer: Sendable {
    case response(Int, headers: [String: String] = [:], body: String)
    case failure(HTTPError.Kind)
}

/// A closure-backed `HTTPTransport`: records every request and delivers the answer to the sink as a transport would.
final class StubTransport: HTTPTransport, @unchecked Sendable {
    // @unchecked Sendable: `requests`, `inFlight` and `maxInFlight` are only touched under `lock`; `handler` is immutable.
    private let lock = NSLock()
    private let handler: @Sendable (RecordedRequest, Int) async throws -> StubAnswer
    private var recorded: [RecordedRequest] = []
    private var inFlight = 0
    private var peak = 0
    private var configs: [HTTPClientConfiguration] = []

    init(_ handler: @escaping @Sendable (RecordedRequest, Int) async throws -> StubAnswer) { self.handler = handler }

    var requests: [RecordedRequest] { lock.withLock { recorded } }
    var maxInFlight: Int { lock.withLock { peak } }
    var configurations: [HTTPClientConfiguration] { lock.withLock { configs } }

    /// A factory for `KubeClient` that always hands out this transport.
    var factory: KubeClient.TransportFactory {
        { configuration in
            self.lock.withLock { self.configs.append(configuration) }
            return self
        }
    }

    func send(_ request: HTTPRequest, sink: HTTPResponseSink) async throws -> HTTPResponse {
        var body = ""
        if case .bytes(let bytes)? = request.body { body = String(decoding: bytes, as: UTF8.self) }
        let record = RecordedRequest(method: request.method, url: request.url, headers: request.headers, body: body)
        let index = lock.withLock {
            recorded.append(record)
            inFlight += 1
            peak = max(peak, inFlight)
            return recorded.count
        }
        defer { lock.withLock { inFlight -= 1 } }
        switch try await handler(record, index) {
        case .failure(let kind):
            throw HTTPError(kind: kind, url: request.url, message: "stub \(kind.rawValue)")
        case .response(let status, let headers, let text):
            let body = [UInt8](text.utf8)
            var response = HTTPResponse(status: status, headers: headers, bodyBytes: body.count)
            switch sink {
            case .memory: response.body = body
            case .file(let path): _ = FileManager.default.createFile(atPath: path, contents: Data(body))
            case .consumer(let consumer):
                _ = body.withUnsafeBytes { consumer.consume($0) }
                consumer.finish()
            }
            return response
        }
    }
}

/// A clock whose sleeps only advance virtual time, recording each pause.
final class VirtualClock: @unchecked Sendable {
    // @unchecked Sendable: all mutable state is behind `lock`.
    private let lock = NSLock()
    private let start = ContinuousClock.now
    private var elapsed: Duration = .zero
    private var pauses: [Duration] = []
    private var wall = Date(timeIntervalSince1970: 1_700_000_000)

    var sleeps: [Duration] { lock.withLock { pauses } }
    func advanceWall(by seconds: TimeInterval) { lock.withLock { wall += seconds } }

    var clock: KubeClock {
        KubeClock(
            now: { self.lock.withLock { self.start + self.elapsed } },
            sleep: { pause in self.lock.withLock { self.pauses.append(pause); self.elapsed += pause } },
            date: { self.lock.withLock { self.wall } })
    }
}

/// Collects log lines so tests can check that no secret is ever logged.
final class CapturedLog: @unchecked Sendable {
    // @unchecked Sendable: `lines` is only touched under `lock`.
    private let lock = NSLock()
    private var stored: [String] = []
    var lines: [String] { lock.withLock { stored } }
    func append(_ line: String) { lock.withLock { stored.append(line) } }

    var logger: Logger {
        Logger(label: "kube-test") { _ in CapturingHandler(sink: self) }
    }

    private struct CapturingHandler: LogHandler {
        let sink: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { sink.append("\(event.level) \(event.message) \(event.metadata ?? [:])") }
    }
}

extension KubeClient {
    /// A client over a stub transport with a virtual clock and no jitter.
    static func stubbed(
        _ transport: StubTransport, endpoint: KubeEndpoint = KubeEndpoint(server: "https://api.test:6443", auth: .token("s3cret-token")),
        clock: VirtualClock = VirtualClock(), log: CapturedLog = CapturedLog(), concurrency: Int = 8
    ) -> KubeClient {
        KubeClient(
            endpoint: endpoint, concurrency: concurrency, transportFactory: transport.factory, logger: log.logger,
            retry: KubeRetryPolicy(random: { 1 }), clock: clock.clock, environment: [:])
    }
}
