/// The tool's version, recorded in every manifest and report.
package enum EMDiagVersion {
    package static let current = "0.1.0"
}
