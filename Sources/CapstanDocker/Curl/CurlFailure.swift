import CCurl

/// A libcurl return code with curl's own words for it; the transport turns it into
/// `DockerError.transport` once it knows the endpoint.
struct CurlFailure: Error {
    var reason: String

    init(_ reason: String) { self.reason = reason }

    init(_ code: CURLcode, detail: String = "") {
        let text = String(cString: curl_easy_strerror(code))
        reason = detail.isEmpty ? text : "\(text): \(detail)"
    }

    init(_ code: CURLMcode) {
        reason = String(cString: curl_multi_strerror(code))
    }
}
