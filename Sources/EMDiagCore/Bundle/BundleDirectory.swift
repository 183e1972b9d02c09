import Foundation

/// Read access to an extracted bundle (or a Fixtures scenario): a path -> bytes lookup.
/// Analysis, reports and `serve` see the bundle only through this type, so live and offline work alike.
package struct BundleDirectory: Sendable {
    /// The folder that holds `manifest.json` (or, for fixtures, the `api/` tree).
    package let root: URL

    package init(root: URL) {
        self.root = root
    }

    package func url(_ path: String) -> URL {
        root.appendingPathComponent(path)
    }

    package func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: url(path).path)
    }

    package func data(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: url(path))
        } catch {
            throw BundleError.missingFile(bundle: root.path, path: path)
        }
    }

    package func json(_ path: String) throws -> JSONValue {
        let bytes = try data(path)
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw BundleError.invalidJSON(bundle: root.path, path: path, message: "\(error)")
        }
    }

    /// Items of a stored List (`items` of `api/v1/namespaces/<ns>/pods.json`), or [] when the file is absent.
    package func items(_ type: ResourceType, namespace: String?) throws -> [JSONValue] {
        let path = BundleLayout.listPath(type, namespace: namespace)
        guard exists(path) else { return [] }
        return try json(path)["items"]?.array ?? []
    }

    /// Every file below `directory` (relative paths, sorted), e.g. all logs of a namespace.
    package func files(under directory: String = "") -> [String] {
        let base = directory.isEmpty ? root : url(directory)
        guard let e = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey]) else {
            return []
        }
        let rootPath = root.standardizedFileURL.path
        var out: [String] = []
        for case let file as URL in e {
            guard (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let full = file.standardizedFileURL.path
            guard full.hasPrefix(rootPath + "/") else { continue }
            out.append(String(full.dropFirst(rootPath.count + 1)))
        }
        return out.sorted()
    }

    /// The manifest, when the bundle has one (fixtures may not).
    package func manifest() throws -> Manifest? {
        guard exists(BundleLayout.manifest) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(Manifest.self, from: try data(BundleLayout.manifest))
        } catch {
            throw BundleError.invalidJSON(bundle: root.path, path: BundleLayout.manifest, message: "\(error)")
        }
    }
}
