import CCurl

/// Owns a `CURLM *` that drives exactly one easy handle. The multi interface is used instead of
/// `curl_easy_perform` for one reason: `curl_multi_wakeup` lets another thread interrupt the
/// wait at once, so a cancelled task aborts its transfer promptly (an idle event stream
/// included) instead of at the next progress tick.
final class CurlMulti {
    let handle: UnsafeMutableRawPointer

    init() throws(CurlFailure) {
        guard let handle = curl_multi_init() else { throw CurlFailure("curl_multi_init failed") }
        self.handle = handle
    }

    deinit { curl_multi_cleanup(handle) }

    /// Runs `easy` until it completes or `shouldStop` turns true after a wake-up; returns the
    /// transfer's result code, or nil when stopped early.
    func run(_ easy: CurlEasy, shouldStop: () -> Bool) throws(CurlFailure) -> CURLcode? {
        try check(curl_multi_add_handle(handle, easy.handle))
        defer { curl_multi_remove_handle(handle, easy.handle) }
        var running: Int32 = 1
        while true {
            try check(curl_multi_perform(handle, &running))
            if running == 0 { break }
            if shouldStop() { return nil }
            // The timeout only bounds how long curl sleeps when it has no timer of its own.
            try check(curl_multi_poll(handle, nil, 0, 1000, nil))
        }
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(handle, &remaining) {
            if message.pointee.msg == CURLMSG_DONE { return message.pointee.data.result }
        }
        throw CurlFailure("transfer ended without a result")
    }

    /// The one operation another thread may perform on this handle.
    var waker: Waker { Waker(handle: handle) }

    /// Interrupts `curl_multi_poll`. libcurl documents `curl_multi_wakeup` as callable from any
    /// thread, hence the unchecked Sendable; the holder must not use it after the multi handle
    /// is cleaned up (`TransferCancellation` detaches it first).
    struct Waker: @unchecked Sendable {
        let handle: UnsafeMutableRawPointer

        func wakeUp() {
            _ = curl_multi_wakeup(handle)
        }
    }

    private func check(_ code: CURLMcode) throws(CurlFailure) {
        guard code == CURLM_OK else { throw CurlFailure(code) }
    }
}
