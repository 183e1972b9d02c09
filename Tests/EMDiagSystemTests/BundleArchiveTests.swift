import EMDiagCore
import EMDiagSystem
import EMDiagTestSupport
import Foundation
import Testing

/// Staging, packing, extracting and verifying real .tar.gz bundles (libarchive), including hostile archives.
@Suite("Bundle archives", .timeLimit(.minutes(3)))
final class BundleArchiveTests {
    let folder: TemporaryFolder

    init() throws {
        folder = try TemporaryFolder("emdiag-bundle")
    }

    deinit { folder.remove() }

    private func url(_ name: String) -> URL { folder.url.appendingPathComponent(name) }

    private func manifest() -> Manifest {
        Manifest(
            createdAt: Date(timeIntervalSince1970: 1_700_000_000), target: .init(namespace: "em"),
            redaction: .init(enabled: true))
    }

    /// Stages `count` files spread over nested folders and writes the manifest.
    private func stage(_ count: Int, at root: URL) throws -> BundleStaging {
        let staging = try BundleStaging(root: root)
        for i in 0..<count {
            let path = BundleLayout.logPath(namespace: "ns\(i % 7)", pod: "pod-\(i)", container: "app", previous: i % 2 == 1)
            if i % 3 == 0 {
                let writer = try staging.create(path)
                for line in 0..<(i % 50) { try writer.write(Data("\(i) line \(line) level=info\n".utf8)) }
                try writer.close(timestamps: true)
            } else {
                try staging.write(path, data: Data("file \(i)\n".utf8))
            }
        }
        try staging.writeManifest(manifest())
        return staging
    }

    @Test func thousandFilesRoundTripThroughTarGz() throws {
        let staging = try stage(1000, at: url("stage"))
        let archive = url("bundle.tar.gz").path
        try TarGzWriter(modificationTime: 1_700_000_000, prefix: "emdiag-bundle").pack(directory: staging.root.path, to: archive)
        #expect(!FileManager.default.fileExists(atPath: TarGzWriter.temporaryPath(for: archive)))

        let opened = try BundleOpener.open(path: archive, temporaryRoot: folder.url)
        let manifest = try #require(try opened.directory.manifest())
        #expect(manifest.files.count == 1000)
        #expect(manifest.files == staging.files)
        #expect(manifest.createdAt == Date(timeIntervalSince1970: 1_700_000_000))
        for file in manifest.files {
            let actual = try SHA256Digest.file(at: opened.directory.url(file.path).path)
            #expect(actual.sha256 == file.sha256 && actual.size == file.size, "\(file.path)")
        }
        #expect(try BundleOpener.verify(bundle: opened.directory).isEmpty)
        let extracted = opened.directory.root.deletingLastPathComponent()
        opened.close()
        #expect(!FileManager.default.fileExists(atPath: extracted.path))
    }

    @Test func packingIsDeterministic() throws {
        let staging = try stage(30, at: url("stage"))
        let first = url("a.tar.gz").path
        let second = url("b.tar.gz").path
        try TarGzWriter().pack(directory: staging.root.path, to: first)
        Thread.sleep(forTimeInterval: 1.1)  // a clock second apart: nothing time-dependent may reach the bytes
        try TarGzWriter().pack(directory: staging.root.path, to: second)
        #expect(try Data(contentsOf: URL(fileURLWithPath: first)) == Data(contentsOf: URL(fileURLWithPath: second)))
        let listing = String(decoding: try TestProcess.run("/usr/bin/tar", ["tzvf", first]), as: UTF8.self)
        #expect(listing.contains("-rw-r--r-- root/root"))
        #expect(listing.contains("1970-01-01"))
        let names = listing.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }
        #expect(names == names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    @Test func verifyFindsTamperingAndTheCLIExitsOne() async throws {
        let staging = try stage(5, at: url("stage"))
        let files = staging.files
        #expect(try staging.directory.verify().isEmpty)
        try await runEmdiag(["bundle", "verify", staging.root.path], expectStatus: 0)

        try Data("changed".utf8).write(to: staging.directory.url(files[0].path))
        try FileManager.default.removeItem(at: staging.directory.url(files[1].path))
        try Data("extra".utf8).write(to: staging.root.appendingPathComponent("extra.txt"))
        let problems = try staging.directory.verify()
        #expect(Set(problems.map(\.kind)) == [.sizeMismatch, .missing, .unlisted])
        #expect(problems.contains { $0.path == files[0].path && $0.kind == .sizeMismatch })
        let output = try await runEmdiag(["bundle", "verify", staging.root.path], expectStatus: 1)
        #expect(output.contains(files[1].path))
    }

    @Test func stagingRefusesUnsafeAndDuplicatePaths() throws {
        let staging = try BundleStaging(root: url("stage"))
        for bad in ["../x", "/etc/x", "a/../../x", "a//b", "", "manifest.json"] {
            #expect(throws: BundleError.self, "\(bad)") { try staging.write(bad, data: Data("x".utf8)) }
        }
        try staging.write("./helm/em/release.json", data: Data("{}".utf8))
        #expect(staging.files.map(\.path) == ["helm/em/release.json"])
        #expect(throws: BundleError.self) { try staging.write("helm/em/release.json", data: Data("{}".utf8)) }
        #expect(!FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("x").path))
    }

    /// A damaged download (cut short, bits flipped, a block zeroed) never opens and never crashes: `BundleOpener`
    /// throws a `BundleError` naming the file, and no extracted folder is left behind.
    @Test func damagedArchivesAreRefusedWithTheirName() throws {
        let staging = try stage(60, at: url("stage"))
        let good = url("good.tar.gz").path
        try TarGzWriter(modificationTime: 1_700_000_000, prefix: "emdiag-bundle").pack(directory: staging.root.path, to: good)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: good)))
        var damaged: [(String, [UInt8])] = [0, 10, bytes.count / 3, bytes.count - 9].map { ("cut at \($0)", Array(bytes.prefix($0))) }
        for position in stride(from: 20, to: bytes.count - 8, by: max(1, bytes.count / 7)) {
            var flipped = bytes
            flipped[position] ^= 0x5A
            damaged.append(("byte \(position) flipped", flipped))
        }
        var zeroed = bytes
        for i in (bytes.count / 2)..<min(bytes.count, bytes.count / 2 + 512) { zeroed[i] = 0 }
        damaged.append(("512 bytes zeroed", zeroed))
        let sandbox = url("opened")
        try FileManager.default.createDirectory(at: sandbox, withIntermediateDirectories: true)
        for (what, content) in damaged {
            let path = url("damaged.tar.gz").path
            try Data(content).write(to: URL(fileURLWithPath: path))
            do {
                let opened = try BundleOpener.open(path: path, temporaryRoot: sandbox)
                // A flip inside a stored file's bytes can still inflate: then the manifest's sha256 must catch it.
                let problems = try BundleOpener.verify(bundle: opened.directory)
                opened.close()
                #expect(!problems.isEmpty, "\(what): opened and verified clean")
            } catch let error as BundleError {
                #expect(error.description.contains(path), "\(what): \(error)")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.path).isEmpty, "\(what) left files")
        }
    }

    @Test func openerRejectsWhatIsNotABundle() throws {
        let text = url("notes.txt")
        try Data("hello".utf8).write(to: text)
        let emptyFolder = url("empty")
        try FileManager.default.createDirectory(at: emptyFolder, withIntermediateDirectories: true)
        for path in [text.path, emptyFolder.path, url("missing.tar.gz").path] {
            do {
                _ = try BundleOpener.open(path: path, temporaryRoot: folder.url)
                Issue.record("\(path) opened")
            } catch let error as BundleError {
                guard case .notABundle(let named, _) = error else {
                    Issue.record("unexpected \(error)")
                    continue
                }
                #expect(named == path)
                #expect(error.description.contains(path))
            }
        }
    }

    @Test func packingRefusesSymlinksAndLeavesNothing() throws {
        let source = url("src")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try Data("a".utf8).write(to: source.appendingPathComponent("a.txt"))
        try FileManager.default.createSymbolicLink(atPath: source.appendingPathComponent("link").path, withDestinationPath: "/etc")
        let output = url("out.tar.gz").path
        #expect(throws: BundleError.self) { try TarGzWriter().pack(directory: source.path, to: output) }
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(!FileManager.default.fileExists(atPath: TarGzWriter.temporaryPath(for: output)))
    }

    @Test func killedWriterLeavesNoFileAtTheOutputPath() async throws {
        let source = url("big")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        let urandom = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        let random = try #require(try urandom.read(upToCount: 16 << 20))
        try urandom.close()
        for i in 0..<12 { try random.write(to: source.appendingPathComponent("part-\(i).bin")) }
        let output = url("bundle.tar.gz").path

        let process = Process()
        process.executableURL = try EMDiagCLI.binary()
        process.arguments = ["bundle", "pack", source.path, "-o", output]
        try process.run()
        let partial = TarGzWriter.temporaryPath(for: output, pid: process.processIdentifier)
        // Poll, and kill, on a thread of its own: on a loaded machine the cooperative pool may not run a task
        // again before the writer is done, and the kill must land while the archive is being written.
        let pid = process.processIdentifier
        let seen = try await BlockingThread.run("kill-test-poll") { () -> Bool in
            for _ in 0..<4000 where process.isRunning {
                let size = (try? FileManager.default.attributesOfItem(atPath: partial)[.size] as? Int) ?? 0
                if size > 1 << 20 {
                    kill(pid, SIGKILL)
                    return true
                }
                usleep(2_000)
            }
            kill(pid, SIGKILL)
            return false
        }
        process.waitUntilExit()
        #expect(seen, "the writer never produced its temporary file")
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(FileManager.default.fileExists(atPath: partial))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    // MARK: - Hostile archives

    @Test(arguments: [
        ("dotdot", "contains \"..\""),
        ("absolute", "absolute path"),
        ("symlink", "symbolic link"),
        ("hardlink", "hard link"),
        ("device", "device, fifo or socket"),
        ("fifo", "device, fifo or socket"),
    ])
    func hostileMembersAreRefused(kind: String, reason: String) throws {
        let archive = try hostileArchive(kind)
        let sandbox = url("sandbox")
        try FileManager.default.createDirectory(at: sandbox, withIntermediateDirectories: true)
        let target = sandbox.appendingPathComponent("target").path
        do {
            try TarGzReader().extract(archive: archive, into: target)
            Issue.record("\(kind) archive was extracted")
        } catch let error as BundleError {
            guard case .unsafeMember(let named, _, let why) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(named == archive)
            #expect(why.contains(reason), "\(error)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.path).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "/etc/x"))
    }

    @Test func tenGigabyteGzipBombIsRefusedWithoutExpanding() throws {
        let archive = try hostileArchive("bomb")
        #expect(try FileManager.default.attributesOfItem(atPath: archive)[.size] as? Int ?? 0 < 20 << 20)
        let sandbox = url("sandbox")
        try FileManager.default.createDirectory(at: sandbox, withIntermediateDirectories: true)
        #expect(throws: BundleError.tooLarge(archive: archive, member: "big.log", limit: 2 << 30)) {
            try TarGzReader().extract(archive: archive, into: sandbox.appendingPathComponent("target").path)
        }
        // Through the opener as well; the temporary extraction is cleaned up.
        #expect(throws: BundleError.self) { try BundleOpener.open(path: archive, temporaryRoot: sandbox) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.path).isEmpty)
    }

    @Test func totalLimitCountsEveryMember() throws {
        let archive = try hostileArchive("many")  // 8 members of 16 MiB of zeros
        let sandbox = url("sandbox")
        try FileManager.default.createDirectory(at: sandbox, withIntermediateDirectories: true)
        let limits = TarGzReader.Limits(maxMemberBytes: 32 << 20, maxTotalBytes: 40 << 20, maxEntries: 100)
        #expect(throws: BundleError.tooLarge(archive: archive, member: nil, limit: 40 << 20)) {
            try TarGzReader(limits: limits).extract(archive: archive, into: sandbox.appendingPathComponent("target").path)
        }
        let fewEntries = TarGzReader.Limits(maxEntries: 3)
        #expect(throws: BundleError.tooLarge(archive: archive, member: nil, limit: 3)) {
            try TarGzReader(limits: fewEntries).extract(archive: archive, into: sandbox.appendingPathComponent("target").path)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.path).isEmpty)
    }

    // MARK: - Helpers

    /// Builds a hostile .tar.gz with Python's tarfile (the bomb from concatenated gzip members of zeros).
    private func hostileArchive(_ kind: String) throws -> String {
        let path = url("\(kind).tar.gz").path
        let script = #"""
            import gzip, io, sys, tarfile
            out, kind = sys.argv[1], sys.argv[2]
            def member(name, type=tarfile.REGTYPE, data=b"x", link=""):
                info = tarfile.TarInfo(name); info.type = type; info.linkname = link
                info.size = len(data) if type == tarfile.REGTYPE else 0
                return info, io.BytesIO(data) if type == tarfile.REGTYPE else None
            if kind == "bomb":
                info = tarfile.TarInfo("big.log"); info.size = 10 * (1 << 30)
                zeros = gzip.compress(b"\0" * (64 << 20), compresslevel=9)
                with open(out, "wb") as f:
                    f.write(gzip.compress(info.tobuf(format=tarfile.PAX_FORMAT)))
                    for _ in range(160): f.write(zeros)
                sys.exit(0)
            members = {
                "dotdot": [member("ok.txt"), member("../x")],
                "absolute": [member("/etc/x")],
                "symlink": [member("link", tarfile.SYMTYPE, link="/etc"), member("link/x")],
                "hardlink": [member("ok.txt"), member("x", tarfile.LNKTYPE, link="/etc/passwd")],
                "device": [member("x", tarfile.CHRTYPE)],
                "fifo": [member("x", tarfile.FIFOTYPE)],
                "many": [member("zeros-%d" % i, data=b"\0" * (16 << 20)) for i in range(8)],
            }[kind]
            with tarfile.open(out, "w:gz", format=tarfile.PAX_FORMAT) as tar:
                for info, data in members: tar.addfile(info, data)
            """#
        try TestProcess.run("/usr/bin/python3", ["-c", script, path, kind])
        return path
    }

    @discardableResult
    private func runEmdiag(_ arguments: [String], expectStatus: Int32) async throws -> String {
        let run = try await EMDiagCLI.run(arguments)
        #expect(run.status == expectStatus, "\(run.output)")
        return run.output
    }
}
