import CapstanDocker

/// An action's failure as the apply output and the controller's status show it.
///
/// A lost engine is said in words: libcurl's own text for a request over the engine's unix
/// socket reads "Failed to connect to localhost port 80", which sends people looking for a web
/// server instead of a stopped dockerd.
func describe(_ error: any Error) -> String {
    guard case .transport(let endpoint, let reason)? = error as? DockerError else { return String(describing: error) }
    // libcurl's reason is "<summary>: <detail>"; the summary is the part that means something here.
    let summary = reason.split(separator: ":", maxSplits: 1).first.map(String.init) ?? reason
    return "no answer from the Docker engine (\(endpoint): \(summary)); is dockerd running?"
}
