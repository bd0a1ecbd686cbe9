import ArgumentParser
import CapstanCore
import Foundation

extension ClientCommand {
    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a client a new token: replace the tokenHash in its manifest, nothing else.",
            discussion: """
                Only the tokenHash value changes; every other byte of the file stays. The old token \
                keeps working until the change is committed and applied. The new token is shown on a \
                terminal or written to --token-file, as with `client add`.

                Examples:
                  capstan client rotate alice
                  capstan client rotate alice --token-file ~/.config/capstan/alice.token.new
                """
        )

        @Argument(help: "The client's name.")
        var name: String

        @OptionGroup var repository: ClientRepositoryOptions

        @Option(help: "Write the new token to this new file (mode 0600) instead of showing it.", completion: .file())
        var tokenFile: String?

        func run() throws {
            let delivery = try ClientTokenDelivery.prepare(tokenFile: tokenFile, repository: repository.dir)
            let client = try repository.client(name, in: repository.load())
            let relative = client.metadata.location.file
            let path = repository.dir + "/" + relative
            guard let bytes = try ClientFiles.read(path) else { throw CLIError("\(repository.display(relative)) disappeared") }
            guard case .success(let documents) = YAMLLoader.load(bytes),
                  let mark = ClientManifest.tokenHashMark(in: documents, client: name) else {
                throw CLIError("cannot find spec.tokenHash of client \(name) in \(repository.display(relative))")
            }

            var generator = SystemRandomNumberGenerator()
            let token = ClientToken.generate(using: &generator)
            guard let updated = ClientManifest.replacing(client.tokenHash, at: mark, in: bytes, with: ClientToken.hash(token)) else {
                throw CLIError("\(repository.display(relative)):\(mark.line):\(mark.column): the tokenHash is written in a form "
                               + "Capstan does not edit (write it as a plain scalar). Nothing was changed.")
            }
            try delivery.store(token)
            do {
                try ClientFiles.replace(path, updated, mode: ClientFiles.mode(of: path) ?? ClientFiles.defaultFileMode())
            } catch {
                delivery.discard()
                throw error
            }
            print("Rotated the token of client \(name): \(repository.display(relative)):\(mark.line) holds the new hash.")
            delivery.announce(token)
            ClientCommand.reportValidation(repository)
            print("""

                Next: commit \(repository.display(relative)) and apply; the old token works until then.
                Then give the app the new token (update the environment variable it reads, or run
                capstan client connect \(name)\(repository.option) \(delivery.option)).
                """)
        }
    }
}
