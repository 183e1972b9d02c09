import EMDiagCore
import EMDiagServe
import EMDiagTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The live server over loopback with real HTTP clients (URLSession, curl): concurrency, faults, streaming.
@Suite(.serialized) struct APIServerTests {
    @Test(.timeLimit(.minutes(2))) func answers200ConcurrentRequests() async throws {
        try await ServeTestSupport.withServer { server, _ in
            let configuration = URLSessionConfiguration.ephemeral
            configuration.httpMaximumConnectionsPerHost = 200
            let session = URLSession(configuration: configuration)
            let paths = [
                "/api/v1/namespaces/em/pods?limit=500", "/api/v1/namespaces/em/secrets/em-runtime-secrets",
                "/api/v1/namespaces/em/pods/\(ReplayTestBundle.crashLoopPod)/log?container=governance&previous=true", "/apis",
            ]
            let results = try await withThrowingTaskGroup(of: (Int, Int, Data).self) { group in
                for index in 0..<200 {
                    group.addTask {
                        var request = URLRequest(url: try #require(URL(string: server.url + paths[index % paths.count])))
                        request.setValue(
                            index % 8 == 0 ? "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" : "application/json",
                            forHTTPHeaderField: "Accept")
                        let (data, response) = try await session.data(for: request)
                        return (index, (response as? HTTPURLResponse)?.statusCode ?? 0, data)
                    }
                }
                return try await group.reduce(into: [(Int, Int, Data)]()) { $0.append($1) }
            }
            #expect(results.count == 200)
            #expect(results.allSatisfy { $0.1 == 200 })
            for (index, _, data) in results where index % paths.count == 2 {
                #expect(data == Data(ReplayTestBundle.previousLog.utf8))
            }
            for (index, _, data) in results where index % paths.count == 0 {
                let kind = try JSONValue.parse(data)["kind"]?.string
                #expect(kind == (index % 8 == 0 ? "Table" : "PodList"))
            }
            session.invalidateAndCancel()
        }
    }

    @Test(.timeLimit(.minutes(1))) func injectedStatusRetryAfterAndEveryNth() async throws {
        let plan = FaultPlan(rules: [FaultRule(glob: "/api/v1/namespaces/*/pods", status: 503, retryAfter: 7, everyNth: 2)])
        try await ServeTestSupport.withServer(faults: plan) { server, _ in
            var codes: [String] = []
            for _ in 0..<4 {
                let result = try await ServeTestSupport.curl(["-o", "/dev/null", "-w", "%{http_code}", server.url + "/api/v1/namespaces/em/pods"])
                codes.append(result.text)
            }
            #expect(codes == ["200", "503", "200", "503"])
            let fifth = try await ServeTestSupport.curl(["-D", "-", "-o", "/dev/null", server.url + "/api/v1/namespaces/em/pods"])
            #expect(!fifth.text.lowercased().contains("retry-after"))
            let second = try await ServeTestSupport.curl(["-D", "-", server.url + "/api/v1/namespaces/em/pods"])
            #expect(second.text.lowercased().contains("retry-after: 7"))
            #expect(second.text.contains(#""reason":"ServiceUnavailable""#))
        }
    }

    @Test(.timeLimit(.minutes(1))) func resetCutsALogStreamMidway() async throws {
        let root = try ReplayTestBundle.make()
        let log = root.appendingPathComponent(
            BundleLayout.logPath(namespace: "em", pod: ReplayTestBundle.databasePod, container: "postgresql", previous: false))
        let line = Array("LOG:  checkpoint complete: wrote 3 buffers\n".utf8)
        try Data((0..<50_000).flatMap { _ in line }).write(to: log)
        let plan = FaultPlan(rules: [FaultRule(glob: "/api/v1/namespaces/*/pods/*/log", resetAfterBytes: 300_000)])
        try await ServeTestSupport.withServer(bundle: root, faults: plan) { server, _ in
            let output = try ServeTestSupport.temporaryFolder("reset").appendingPathComponent("log")
            let url = server.url + "/api/v1/namespaces/em/pods/\(ReplayTestBundle.databasePod)/log"
            let cut = try await ServeTestSupport.curl(["-o", output.path, url])
            #expect(cut.status != 0)  // curl: transfer closed with outstanding read data remaining
            let received = (try? Data(contentsOf: output)) ?? Data()
            #expect(received == (try Data(contentsOf: log)).prefix(300_000))
        }
    }

    @Test(.timeLimit(.minutes(1))) func latencyDelaysOnlyMatchingRequests() async throws {
        let plan = FaultPlan(rules: [FaultRule(path: "^/version$", times: 1, latencyMs: 1500)])
        try await ServeTestSupport.withServer(faults: plan) { server, _ in
            let slow = try await ServeTestSupport.curl(["-o", "/dev/null", "-w", "%{time_total}", server.url + "/version"])
            #expect((Double(slow.text) ?? 0) >= 1.5)
            let after = try await ServeTestSupport.curl(["-w", "\n%{http_code}", server.url + "/version"])
            #expect(after.text.hasSuffix("\n200"))
        }
    }

    @Test(.timeLimit(.minutes(1))) func writesAreRefusedOverHTTP() async throws {
        try await ServeTestSupport.withServer { server, _ in
            let result = try await ServeTestSupport.curl(["-X", "DELETE", "-w", "\n%{http_code}", server.url + "/api/v1/namespaces/em/pods/x"])
            #expect(result.text.hasSuffix("\n405"))
            #expect(result.text.contains(#""reason":"MethodNotAllowed""#))
        }
    }
}
