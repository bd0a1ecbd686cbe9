extension DockerClient {
    /// Tagged and untagged top-level images; `labels` as for `listContainers`.
    public func listImages(labels: [String] = []) async throws(DockerError) -> [ImageSummary] {
        try await sendJSON([ImageSummary].self, .get, "/images/json", query: Self.filters(["label": labels]))
    }

    /// nil when no image has that ID, tag or digest.
    public func inspectImage(_ reference: String) async throws(DockerError) -> ImageDetails? {
        do {
            return try await sendJSON(ImageDetails.self, .get, "/images/\(Self.segment(reference))/json")
        } catch .notFound {
            return nil
        }
    }

    /// Untags `reference`, deleting the image once no tag is left. An image used by a container
    /// is `.conflict` unless `force`.
    public func removeImage(_ reference: String, force: Bool = false) async throws(DockerError) {
        _ = try await send(.delete, "/images/\(Self.segment(reference))", query: [("force", Self.flag(force))])
    }

    /// Adds the tag `repository:tag` to the image `reference`.
    public func tagImage(_ reference: String, repository: String, tag: String) async throws(DockerError) {
        _ = try await send(.post, "/images/\(Self.segment(reference))/tag", query: [("repo", repository), ("tag", tag)])
    }
}
