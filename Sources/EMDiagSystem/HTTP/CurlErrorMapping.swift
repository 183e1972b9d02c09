internal import CCurl
import EMDiagCore

/// Maps a libcurl result code and its error-buffer message to the product's error kinds.
///
/// libcurl reports every certificate verification failure as `CURLE_PEER_FAILED_VERIFICATION`;
/// only the message tells a wrong CA from a wrong host name, so both are inspected.
enum CurlErrorMapping {
    /// The error kind for a failed transfer.
    static func kind(code: Int, message: String) -> HTTPError.Kind {
        let text = message.lowercased()
        if isClientCertificateProblem(text) { return .tlsClientCertificate }
        switch UInt32(clamping: code) {
        case CURLE_COULDNT_CONNECT.rawValue:
            return .connectionRefused
        case CURLE_COULDNT_RESOLVE_HOST.rawValue, CURLE_COULDNT_RESOLVE_PROXY.rawValue:
            return .couldNotResolveHost
        case CURLE_OPERATION_TIMEDOUT.rawValue:
            return .timeout
        case CURLE_PEER_FAILED_VERIFICATION.rawValue:
            if isHostnameProblem(text) { return .tlsHostname }
            return text.contains("certificate problem") || text.contains("issuer") ? .tlsCertificateAuthority : .tls
        case CURLE_SSL_CACERT_BADFILE.rawValue:
            return .tlsCertificateAuthority
        case CURLE_SSL_CERTPROBLEM.rawValue, CURLE_SSL_CLIENTCERT.rawValue:
            return .tlsClientCertificate
        case CURLE_SSL_CONNECT_ERROR.rawValue, CURLE_SSL_ENGINE_NOTFOUND.rawValue, CURLE_SSL_ENGINE_SETFAILED.rawValue,
            CURLE_SSL_CIPHER.rawValue, CURLE_SSL_SHUTDOWN_FAILED.rawValue, CURLE_SSL_CRL_BADFILE.rawValue,
            CURLE_SSL_ISSUER_ERROR.rawValue, CURLE_SSL_PINNEDPUBKEYNOTMATCH.rawValue, CURLE_SSL_INVALIDCERTSTATUS.rawValue,
            CURLE_USE_SSL_FAILED.rawValue:
            return .tls
        case CURLE_RECV_ERROR.rawValue, CURLE_SEND_ERROR.rawValue, CURLE_PARTIAL_FILE.rawValue, CURLE_GOT_NOTHING.rawValue,
            CURLE_HTTP2.rawValue, CURLE_HTTP2_STREAM.rawValue:
            return .connectionReset
        case CURLE_ABORTED_BY_CALLBACK.rawValue:
            return .aborted
        case CURLE_WRITE_ERROR.rawValue, CURLE_READ_ERROR.rawValue:
            return .localFile
        case CURLE_URL_MALFORMAT.rawValue, CURLE_UNSUPPORTED_PROTOCOL.rawValue:
            return .invalidURL
        default:
            return .other
        }
    }

    /// OpenSSL's names for "the server did not accept (or did not get) our certificate".
    private static func isClientCertificateProblem(_ text: String) -> Bool {
        ["alert certificate required", "alert bad certificate", "alert unknown ca", "alert certificate unknown",
         "unable to set private key", "unable to set client certificate", "could not load pem client certificate",
         "unable to use client certificate"].contains { text.contains($0) }
    }

    private static func isHostnameProblem(_ text: String) -> Bool {
        text.contains("subject name") || text.contains("no alternative certificate") || text.contains("hostname mismatch")
            || text.contains("does not match target host")
    }
}
