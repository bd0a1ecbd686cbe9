import Foundation

/// What `GET /containers/{id}/json` says about one container.
public struct ContainerDetails: Sendable, Equatable, Decodable {
    public var id: String
    /// Without the engine's leading `/`.
    public var name: String
    public var state: ContainerState
    /// The image ID (`sha256:…`) the container was created from.
    public var image: String
    public var config: ContainerConfig
    public var hostConfig: HostConfig
    public var restartCount: Int

    enum CodingKeys: String, CodingKey {
        case id = "Id", name = "Name", state = "State", image = "Image", config = "Config"
        case hostConfig = "HostConfig", restartCount = "RestartCount"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = Self.strippingSlash(try c.decode(.name, default: ""))
        state = try c.decode(ContainerState.self, forKey: .state)
        image = try c.decode(.image, default: "")
        config = try c.decode(ContainerConfig.self, forKey: .config)
        hostConfig = try c.decode(HostConfig.self, forKey: .hostConfig)
        restartCount = try c.decode(.restartCount, default: 0)
    }

    /// The engine keeps names as paths (`/capstan-weather`), a leftover of container links.
    static func strippingSlash(_ name: String) -> String {
        name.hasPrefix("/") ? String(name.dropFirst()) : name
    }
}

public struct ContainerState: Sendable, Equatable, Decodable {
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
    public var status: String
    public var running: Bool
    public var restarting: Bool
    public var exitCode: Int
    /// nil while never started.
    public var startedAt: Date?
    /// nil while never finished.
    public var finishedAt: Date?
    public var oomKilled: Bool
    /// 0 when not running.
    public var pid: Int

    enum CodingKeys: String, CodingKey {
        case status = "Status", running = "Running", restarting = "Restarting", exitCode = "ExitCode"
        case startedAt = "StartedAt", finishedAt = "FinishedAt", oomKilled = "OOMKilled", pid = "Pid"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        status = try c.decode(.status, default: "")
        running = try c.decode(.running, default: false)
        restarting = try c.decode(.restarting, default: false)
        exitCode = try c.decode(.exitCode, default: 0)
        startedAt = DockerTimestamp.parse(try c.decode(.startedAt, default: ""))
        finishedAt = DockerTimestamp.parse(try c.decode(.finishedAt, default: ""))
        oomKilled = try c.decode(.oomKilled, default: false)
        pid = try c.decode(.pid, default: 0)
    }
}

/// The container's own configuration as the engine resolved it (image defaults filled in).
public struct ContainerConfig: Sendable, Equatable, Decodable {
    /// The image reference as given on create.
    public var image: String
    public var cmd: [String]
    public var entrypoint: [String]
    public var env: [String]
    public var labels: [String: String]
    public var user: String
    public var openStdin: Bool
    public var tty: Bool

    enum CodingKeys: String, CodingKey {
        case image = "Image", cmd = "Cmd", entrypoint = "Entrypoint", env = "Env", labels = "Labels"
        case user = "User", openStdin = "OpenStdin", tty = "Tty"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        image = try c.decode(.image, default: "")
        cmd = try c.decode(.cmd, default: [])
        entrypoint = try c.decode(.entrypoint, default: [])
        env = try c.decode(.env, default: [])
        labels = try c.decode(.labels, default: [:])
        user = try c.decode(.user, default: "")
        openStdin = try c.decode(.openStdin, default: false)
        tty = try c.decode(.tty, default: false)
    }
}
