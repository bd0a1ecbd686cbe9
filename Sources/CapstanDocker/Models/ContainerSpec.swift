/// The body of `POST /containers/create`, field for field.
public struct ContainerSpec: Sendable, Equatable, Codable {
    public var image: String
    /// nil keeps the image's CMD.
    public var cmd: [String]?
    /// nil keeps the image's ENTRYPOINT.
    public var entrypoint: [String]?
    /// `NAME=value` entries.
    public var env: [String]
    public var labels: [String: String]
    /// nil keeps the image's USER.
    public var user: String?
    public var workingDir: String?
    public var openStdin: Bool
    public var stdinOnce: Bool
    public var attachStdin: Bool
    public var attachStdout: Bool
    public var attachStderr: Bool
    public var tty: Bool
    public var hostConfig: HostConfig

    public init(image: String, cmd: [String]? = nil, entrypoint: [String]? = nil, env: [String] = [],
                labels: [String: String] = [:], user: String? = nil, workingDir: String? = nil,
                openStdin: Bool = false, stdinOnce: Bool = false, attachStdin: Bool = false,
                attachStdout: Bool = false, attachStderr: Bool = false, tty: Bool = false,
                hostConfig: HostConfig = HostConfig()) {
        self.image = image
        self.cmd = cmd
        self.entrypoint = entrypoint
        self.env = env
        self.labels = labels
        self.user = user
        self.workingDir = workingDir
        self.openStdin = openStdin
        self.stdinOnce = stdinOnce
        self.attachStdin = attachStdin
        self.attachStdout = attachStdout
        self.attachStderr = attachStderr
        self.tty = tty
        self.hostConfig = hostConfig
    }

    enum CodingKeys: String, CodingKey {
        case image = "Image", cmd = "Cmd", entrypoint = "Entrypoint", env = "Env", labels = "Labels"
        case user = "User", workingDir = "WorkingDir", openStdin = "OpenStdin", stdinOnce = "StdinOnce"
        case attachStdin = "AttachStdin", attachStdout = "AttachStdout", attachStderr = "AttachStderr"
        case tty = "Tty", hostConfig = "HostConfig"
    }
}
