/// The character rules for names in manifests, checked without regular expressions so that
/// validating ten thousand manifests stays fast.
enum NameRule {
    case dnsLabel
    case envName
    case labelKey
    case toolName
    case toolGlob
    /// A resource URI or URI pattern with `*` and `?`.
    case resourcePattern
    /// Docker build stage and network names.
    case dockerName
    case capability
    /// A container user: `uid[:gid]` or a user name.
    case user

    func check(_ name: Located<String>, what: String, sink: DiagnosticSink) -> Bool {
        guard let problem = problem(name.value) else { return true }
        sink.error(name.mark, "\(what) \"\(name.value)\" is not valid: \(problem)", hint: hint(name.value))
        return false
    }

    /// Why `s` breaks the rule, or nil when it follows it.
    func problem(_ s: String) -> String? {
        let u = Array(s.utf8)
        switch self {
        case .dnsLabel:
            let ok = !u.isEmpty && u.count <= 63 && u.allSatisfy { isLowerAlnum($0) || $0 == dash }
                && isLowerAlnum(u.first!) && isLowerAlnum(u.last!)
            return ok ? nil : "a name is a DNS label: lowercase letters, digits and \"-\", starting and ending with a letter or digit, at most 63 characters"
        case .envName:
            let ok = !u.isEmpty && u.allSatisfy { isAlnum($0) || $0 == underscore } && !isDigit(u.first!)
            return ok ? nil : "an environment variable name has letters, digits and \"_\" and does not start with a digit"
        case .labelKey:
            let ok = !u.isEmpty && u.count <= 253 && u.allSatisfy { isAlnum($0) || "._/-".utf8.contains($0) }
                && isAlnum(u.first!) && isAlnum(u.last!)
            return ok ? nil : "a label key has letters, digits, \".\", \"_\", \"/\" and \"-\", starts and ends with a letter or digit, at most 253 characters"
        case .toolName:
            let ok = !u.isEmpty && u.count <= 128 && u.allSatisfy { isAlnum($0) || "_.-".utf8.contains($0) }
            return ok ? nil : "a tool name has 1 to 128 letters, digits, \"_\", \".\" and \"-\""
        case .toolGlob:
            let ok = !u.isEmpty && u.count <= 128 && u.allSatisfy { isAlnum($0) || "_.-*?".utf8.contains($0) }
            return ok ? nil : "a tool pattern has 1 to 128 letters, digits, \"_\", \".\", \"-\" and the wildcards \"*\" and \"?\""
        case .resourcePattern:
            let ok = !u.isEmpty && u.count <= 2048 && u.allSatisfy { $0 > 0x20 && $0 < 0x7F }
            return ok ? nil : "a resource pattern is a URI of 1 to 2048 characters without spaces, with the wildcards \"*\" and \"?\""
        case .dockerName:
            let ok = !u.isEmpty && u.allSatisfy { isAlnum($0) || "_.-".utf8.contains($0) } && isAlnum(u.first!)
            return ok ? nil : "use letters, digits, \"_\", \".\" and \"-\", starting with a letter or digit"
        case .user:
            let parts = s.split(separator: ":", omittingEmptySubsequences: false).map { Array($0.utf8) }
            let numeric = parts.count <= 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(isDigit) }
            let name = parts.count == 1 && !u.isEmpty && (isLowerAlnum(u[0]) && !isDigit(u[0]) || u[0] == underscore)
                && u.allSatisfy { isLowerAlnum($0) || $0 == underscore || $0 == dash }
            return numeric || name ? nil : "write uid[:gid] (for example 10001:10001) or a user name of the image"
        case .capability:
            guard linuxCapabilities.contains(s) else {
                return "not a Linux capability name (for example NET_BIND_SERVICE)"
            }
            return nil
        }
    }

    private func hint(_ s: String) -> String? {
        switch self {
        case .dnsLabel:
            let fixed = String(s.lowercased().map { $0.isLetter && $0.isASCII || $0.isASCIIDigit ? $0 : "-" })
                .trimmingDashes()
            return fixed.isEmpty || fixed == s || NameRule.dnsLabel.problem(fixed) != nil ? nil : "try \"\(fixed)\""
        case .capability:
            let upper = s.uppercased()
            let bare = upper.hasPrefix("CAP_") ? String(upper.dropFirst(4)) : upper
            if linuxCapabilities.contains(bare) { return "write \"\(bare)\"" }
            return nearest(to: bare, in: linuxCapabilities).map { "did you mean \"\($0)\"?" }
        default:
            return nil
        }
    }
}

private let dash = UInt8(ascii: "-")
private let underscore = UInt8(ascii: "_")

extension String {
    fileprivate func trimmingDashes() -> String {
        var s = Substring(self)
        while s.first == "-" { s = s.dropFirst() }
        while s.last == "-" { s = s.dropLast() }
        return String(s.prefix(63))
    }
}

/// capabilities(7), without the CAP_ prefix, as Docker's CapAdd takes them.
let linuxCapabilities = [
    "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF", "CHECKPOINT_RESTORE",
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER",
    "KILL", "LEASE", "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN",
    "NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW", "PERFMON", "SETFCAP", "SETGID", "SETPCAP",
    "SETUID", "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT", "SYS_MODULE", "SYS_NICE", "SYS_PACCT",
    "SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "SYSLOG", "WAKE_ALARM",
]

/// Why `name` is not a DNS label (the rule for every manifest name and the instance), or nil.
public func dnsLabelProblem(_ name: String) -> String? {
    NameRule.dnsLabel.problem(name)
}
