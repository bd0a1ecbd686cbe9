import CapstanCore

/// The pure planner on N desired servers against N observed containers (a tenth of them
/// changed, so diffs are computed too): the figure for "1,000 servers under 50 ms".
func planBenchmark(servers: Int, runs: Int) {
    let specJSON = """
        {"capAdd":[],"command":["--verbose"],"env":{"LEVEL":"info","REGION":"eu"},"image":"sha256:base","memoryBytes":268435456,
         "network":"none","noNewPrivileges":true,"pids":128,"readOnlyRootFilesystem":true,"secrets":{"KEY":"hmac-sha256:00"},"transport":"stdio"}
        """
    let base = RuntimeSpec.decode(canonicalJSON: specJSON)!
    var desired: [DesiredServer] = []
    var observed: [ObservedContainer] = []
    for i in 0..<servers {
        var spec = base
        spec.env["INDEX"] = String(i)
        desired.append(DesiredServer(name: "s\(i)", image: .resolved(id: "sha256:img\(i % 10)"), spec: spec, secretNames: ["KEY": "k"]))
        var running = spec
        running.image = "sha256:img\(i % 10)"
        if i % 10 == 0 { running.env["LEVEL"] = "debug" }
        observed.append(ObservedContainer(id: "c\(i)", name: "capstan-s\(i)", server: "s\(i)", state: .running,
                                          specHash: running.hash, spec: running, revision: "r1"))
    }
    let state = DesiredState(instance: "capstan", revision: "r2", images: [], servers: desired)
    let host = ObservedState(containers: observed, imagesByTag: [:])
    var timings: [Double] = []
    var replaced = 0
    for _ in 0..<runs {
        var plan: Plan?
        timings.append(ContinuousClock().measure { plan = Planner.plan(desired: state, observed: host) }.seconds)
        replaced = plan?.count(.replace) ?? 0
    }
    report("plan \(servers) servers against \(servers) containers (\(replaced) replaced)", timings)
}
