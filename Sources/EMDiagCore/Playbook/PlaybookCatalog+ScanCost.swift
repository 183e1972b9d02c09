extension PlaybookCatalog {
    /// What the loaded log patterns cost the one-pass scan, for `emdiag playbooks lint` to say (never an error).
    ///
    /// The scan skips through logs while every pattern's literals have at least `LiteralSkipSearch.minimumWindow`
    /// bytes; one shorter literal puts every file of every bundle back on the byte-by-byte automaton (about 3x
    /// slower on the built-in pack, `docs/benchmarks.md`), and a pattern without a literal runs its regex on every
    /// line of the logs it applies to.
    /// - Returns: one `file:line:col: note: ...` sentence per such pattern, in rule order.
    package var scanCostNotes: [String] {
        var notes: [String] = []
        for rule in rules {
            for condition in rule.match {
                guard case .log(let log) = condition else { continue }
                let literals = log.pattern.requiredLiterals
                let source = log.pattern.source
                if literals.isEmpty {
                    notes.append(
                        "\(rule.location): note: rule \"\(rule.id)\": pattern `\(source)` has no literal of "
                            + "\(PortableRegex.minimumLiteralLength)+ characters every match contains, so its regex runs on every "
                            + "log line it applies to; declare `literals:` (words a matching line always holds).")
                } else if let short = literals.first(where: { $0.utf8.count < LiteralSkipSearch.minimumWindow }) {
                    notes.append(
                        "\(rule.location): note: rule \"\(rule.id)\": pattern `\(source)` is found by the literal "
                            + "`\(short)`, shorter than \(LiteralSkipSearch.minimumWindow) bytes, so the log scan reads every byte "
                            + "for all rules instead of skipping (about 3x slower); declare `literals:` of "
                            + "\(LiteralSkipSearch.minimumWindow)+ characters.")
                }
            }
        }
        return notes
    }
}
