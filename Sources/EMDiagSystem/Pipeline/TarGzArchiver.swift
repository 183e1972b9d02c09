import EMDiagCore
import Foundation

/// The collector's archiver: `TarGzWriter` (libarchive) on a dedicated thread, never on Swift's cooperative pool.
package struct TarGzArchiver: BundleArchiver {
    /// The mtime of every entry: the collection time, so extracted files show when they were captured.
    package var modificationTime: Int

    package init(modificationTime: Int) {
        self.modificationTime = modificationTime
    }

    package func pack(directory: URL, prefix: String, to output: String) async throws {
        let writer = TarGzWriter(modificationTime: modificationTime, prefix: prefix)
        try await BlockingThread.run("emdiag-pack") {
            try writer.pack(directory: directory.path, to: output)
        }
    }
}
