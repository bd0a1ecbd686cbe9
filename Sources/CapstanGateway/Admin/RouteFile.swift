import CapstanCore
import Foundation

/// The last route table a gateway accepted, kept on disk so a restarted gateway serves at once
/// instead of refusing every client until the reconciler writes the routes again.
public enum RouteFile {
    public static func load(_ path: String) -> VersionedRouteTable? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(VersionedRouteTable.self, from: data)
    }

    /// Written to a temporary file and renamed, so a crash never leaves half a table.
    public static func save(_ routes: VersionedRouteTable, to path: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(routes) else { return }
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else { return }
        _ = rename(temporary, path)
    }
}
