import CCurl

/// Owns one `CURL *` easy handle and the error buffer curl writes its detailed messages into.
/// Used by one thread at a time: the worker thread that runs its transfer.
final class CurlEasy {
    let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init() throws(CurlFailure) {
        guard CurlRuntime.ready else { throw CurlFailure("curl_global_init failed") }
        guard let handle = curl_easy_init() else { throw CurlFailure("curl_easy_init failed") }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        _ = capstan_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// curl's message for the last failure on this handle, often more specific than the code's.
    var errorDetail: String { String(cString: errorBuffer) }

    func set(_ option: CURLoption, _ value: Int) throws(CurlFailure) {
        try check(capstan_curl_setopt_long(handle, option, value))
    }

    /// curl copies string options (since 7.17), so a temporary C string is enough.
    func set(_ option: CURLoption, _ value: String) throws(CurlFailure) {
        try check(capstan_curl_setopt_string(handle, option, value))
    }

    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) throws(CurlFailure) {
        try check(capstan_curl_setopt_pointer(handle, option, pointer))
    }

    func set(_ option: CURLoption, offset: Int) throws(CurlFailure) {
        try check(capstan_curl_setopt_offset(handle, option, curl_off_t(offset)))
    }

    func set(_ option: CURLoption, callback: capstan_curl_io_callback) throws(CurlFailure) {
        try check(capstan_curl_setopt_io(handle, option, callback))
    }

    func set(_ option: CURLoption, headers: CurlHeaderList) throws(CurlFailure) {
        try check(capstan_curl_setopt_slist(handle, option, headers.list))
    }

    /// The status of the response being received; 0 before its status line arrived.
    var responseCode: Int {
        var code = 0
        _ = capstan_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    private func check(_ code: CURLcode) throws(CurlFailure) {
        guard code == CURLE_OK else { throw CurlFailure(code) }
    }
}

/// Owns a `curl_slist` of request headers; curl reads it during the transfer, so it must live
/// at least as long.
final class CurlHeaderList {
    private(set) var list: UnsafeMutablePointer<curl_slist>?

    init(_ lines: [String]) {
        for line in lines { list = curl_slist_append(list, line) }
    }

    deinit { curl_slist_free_all(list) }
}
