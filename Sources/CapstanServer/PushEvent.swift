import Foundation

/// The part of a push delivery that decides whether to sync: the ref that moved. GitHub,
/// Gitea/Forgejo and GitLab all send it as top-level `ref`, e.g. `refs/heads/main`.
enum PushEvent {
    enum Parse: Sendable, Equatable {
        case ref(String)
        /// Not a JSON object, or no string `ref`.
        case malformed
    }

    private struct Payload: Decodable {
        var ref: String
    }

    static func parseRef(_ body: [UInt8]) -> Parse {
        guard let payload = try? JSONDecoder().decode(Payload.self, from: Data(body)), !payload.ref.isEmpty else {
            return .malformed
        }
        return .ref(payload.ref)
    }
}

/// The branch the controller follows, as the full ref a push reports.
struct FollowedBranch: Sendable, Equatable {
    let ref: String

    /// `main` and `refs/heads/main` name the same branch.
    init(_ branch: String) {
        ref = branch.hasPrefix("refs/heads/") ? branch : "refs/heads/" + branch
    }

    func matches(ref pushed: String) -> Bool {
        pushed == ref
    }
}
