import CapstanCore
import Hummingbird
import NIOCore

/// Hummingbird's basic context plus whether the peer is on this host: the dashboard lets
/// loopback peers in and asks everyone else to sign in.
struct ControllerRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let peerIsLoopback: Bool

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerIsLoopback = Self.isLoopback(source.channel.remoteAddress)
    }

    static func isLoopback(_ address: SocketAddress?) -> Bool {
        guard let address else { return false }
        switch address {
        case .unixDomainSocket: return true
        case .v4, .v6: return address.ipAddress.map(LoopbackAddress.isLoopback) ?? false
        }
    }
}
