import ArgumentParser

struct CompletionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completions",
        abstract: "Print the shell completion script for bash, zsh or fish.",
        discussion: """
            Completes subcommands, flags, option values and paths. Install the script once:

            Examples:
              capstan completions bash > ~/.local/share/bash-completion/completions/capstan
              capstan completions zsh > ~/.zfunc/_capstan     # with fpath+=(~/.zfunc) before compinit in ~/.zshrc
              capstan completions fish > ~/.config/fish/completions/capstan.fish
              source <(capstan completions bash)              # this shell only
            """
    )

    @Argument(help: "bash, zsh or fish.", completion: .list(CompletionShell.allCases.map(\.rawValue)))
    var shell: String

    func validate() throws {
        if CompletionShell(rawValue: shell) == nil {
            throw ValidationError("no completions for \"\(shell)\": choose bash, zsh or fish")
        }
    }

    func run() {
        // swift-argument-parser's generator, as `capstan --generate-completion-script SHELL` uses it.
        let script = Capstan.completionScript(for: CompletionShell(rawValue: shell)!)
        print(script, terminator: script.hasSuffix("\n") ? "" : "\n")
    }
}
