import CCurl

/// `curl_global_init` must not race with any other curl call, so it runs exactly once before
/// the first handle exists; Swift initialises a static stored property once, thread-safely.
enum CurlRuntime {
    static let ready: Bool = curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK
}
