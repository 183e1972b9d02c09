#ifndef EMDIAG_CCURL_SHIM_H
#define EMDIAG_CCURL_SHIM_H
// Typed, non-variadic wrappers around libcurl's variadic calls, which Swift cannot call.
#include <curl/curl.h>

#pragma clang assume_nonnull begin

static inline CURLcode CCurl_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode CCurl_easy_setopt_off_t(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode CCurl_easy_setopt_string(CURL *h, CURLoption o, const char *_Nullable v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode CCurl_easy_setopt_pointer(CURL *h, CURLoption o, void *_Nullable v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode CCurl_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *_Nullable v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode CCurl_easy_setopt_write_function(CURL *h, CURLoption o, curl_write_callback _Nullable cb) { return curl_easy_setopt(h, o, cb); }
static inline CURLcode CCurl_easy_setopt_read_function(CURL *h, curl_read_callback _Nullable cb) { return curl_easy_setopt(h, CURLOPT_READFUNCTION, cb); }
static inline CURLcode CCurl_easy_setopt_xferinfo_function(CURL *h, curl_xferinfo_callback _Nullable cb) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, cb); }
/// In-memory PEM (CA bundle, client certificate, client key); libcurl copies the bytes.
static inline CURLcode CCurl_easy_setopt_blob(CURL *h, CURLoption o, const void *data, size_t len) {
    struct curl_blob blob;
    blob.data = (void *)data;
    blob.len = len;
    blob.flags = CURL_BLOB_COPY;
    return curl_easy_setopt(h, o, &blob);
}
static inline CURLcode CCurl_easy_getinfo_long(CURL *h, CURLINFO i, long *out) { return curl_easy_getinfo(h, i, out); }
static inline CURLcode CCurl_easy_getinfo_off_t(CURL *h, CURLINFO i, curl_off_t *out) { return curl_easy_getinfo(h, i, out); }
static inline CURLcode CCurl_easy_getinfo_pointer(CURL *h, CURLINFO i, void *_Nullable *_Nonnull out) { return curl_easy_getinfo(h, i, out); }
static inline CURLMcode CCurl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
static inline CURLSHcode CCurl_share_setopt_long(CURLSH *s, CURLSHoption o, long v) { return curl_share_setopt(s, o, v); }
static inline CURLcode CCurl_easy_setopt_share(CURL *h, CURLSH *s) { return curl_easy_setopt(h, CURLOPT_SHARE, s); }

#pragma clang assume_nonnull end

#endif
