import CapstanAudit
import CapstanReconciler
import Foundation

/// The pages' markup: semantic HTML around the page values, no inline script or style (the
/// Content-Security-Policy forbids both), everything interpolated escaped by `HTML`.
enum DashboardRender {
    enum Tab: String, CaseIterable {
        case overview = "/", servers = "/servers", access = "/access", history = "/history", calls = "/calls"

        var title: String {
            switch self {
            case .overview: return "Overview"
            case .servers: return "Servers"
            case .access: return "Access"
            case .history: return "History"
            case .calls: return "Tool calls"
            }
        }

        var api: String { self == .overview ? "/api/v1/overview" : "/api/v1" + rawValue }
    }

    static func page(_ tab: Tab, instance: String, body: HTML) -> HTML {
        let nav = Tab.allCases.map { item -> HTML in
            item == tab ? "<li><a href=\"\(item.rawValue)\" aria-current=\"page\">\(item.title)</a></li>"
                : "<li><a href=\"\(item.rawValue)\">\(item.title)</a></li>"
        }
        return """
            \(head(title: "\(tab.title) · \(instance)", script: true))
            <body>
            <a class="skip" href="#main">Skip to content</a>
            <header>
            <p class="brand">Capstan <span class="instance">\(instance)</span></p>
            <nav aria-label="Dashboard"><ul>\(nav)</ul></nav>
            <p class="live" id="live" role="status" aria-live="polite">live updates off</p>
            </header>
            <main id="main" tabindex="-1">
            <h1>\(tab.title)</h1>
            \(body)
            <p class="twin">This page as JSON: <a href="\(tab.api)">\(tab.api)</a></p>
            </main>
            </body>
            </html>

            """
    }

    /// A small page for login and errors, without the navigation of a signed-in user.
    static func plain(title: String, body: HTML) -> HTML {
        """
        \(head(title: title, script: false))
        <body>
        <main id="main" class="narrow">
        <h1>\(title)</h1>
        \(body)
        </main>
        </body>
        </html>

        """
    }

    static func head(title: String, script: Bool) -> HTML {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light dark">
        <title>\(title) · Capstan</title>
        <link rel="icon" href="/assets/capstan.svg" type="image/svg+xml">
        <link rel="stylesheet" href="/assets/dashboard.css">\(script ? "\n<script src=\"/assets/dashboard.js\" defer></script>" as HTML : .empty)
        </head>
        """
    }

    // MARK: Pages

    static func overview(_ page: OverviewPage) -> HTML {
        let applied: HTML = page.lastAppliedRevision.map { revision in
            "<dd>\(commit(revision: revision, page.lastApplied))</dd>"
        } ?? "<dd>nothing applied yet</dd>"
        var attempt: HTML = "<dd>none yet</dd>"
        if let last = page.lastAttempt {
            let revision: HTML = last.revision.map { commit(revision: $0, last.commit) } ?? "no revision (the fetch failed)"
            attempt = "<dd>\(revision)<br>\(badge(last.result)) by \(last.trigger) at \(time(last.at))</dd>"
        }
        var errors: HTML = .empty
        if let last = page.lastAttempt, !last.errors.isEmpty {
            errors = """
                <section aria-labelledby="errors"><h2 id="errors">Last error</h2>
                <pre class="errors">\(last.errors.joined(separator: "\n"))</pre></section>
                """
        }
        let nextPoll: HTML = page.nextPoll.map { poll in
            let seconds = max(0, Int(poll.timeIntervalSince(page.generatedAt).rounded()))
            return "<dd><span data-countdown=\"\(iso(poll))\">in \(seconds) s</span></dd>"
        } ?? "<dd>not scheduled</dd>"
        let c = page.counts
        return """
            <section aria-labelledby="sync"><h2 id="sync">Sync</h2>
            <p class="state">\(badge(page.syncState))</p>
            <dl class="facts">
            <dt>Repository</dt><dd><code>\(page.repository)</code></dd>
            <dt>Branch</dt><dd><code>\(page.branch)</code></dd>
            <dt>Last applied</dt>\(applied)
            <dt>Last attempt</dt>\(attempt)
            <dt>Next poll</dt>\(nextPoll)
            </dl></section>
            \(errors)
            <section aria-labelledby="counts"><h2 id="counts">Servers</h2>
            <ul class="counts">
            <li><a href="/servers"><strong>\(c.servers)</strong> declared</a></li>
            <li><strong>\(c.running)</strong> running</li>
            <li><strong>\(c.inSync)</strong> in sync</li>
            <li><strong>\(c.drifted)</strong> drifted</li>
            <li><strong>\(c.crashLooping)</strong> crash-looping</li>
            </ul></section>
            """
    }

    static func servers(_ page: ServersPage) -> HTML {
        guard !page.servers.isEmpty else { return "<p>The repository declares no servers.</p>" }
        let rows = page.servers.map { s -> HTML in
            let state: HTML = s.crashLooping ? badge("crash-looping") : s.inSync ? badge("in-sync") : badge("drifted")
            let pending: HTML = s.pending.map { "<br><small>\($0)</small>" } ?? .empty
            let tools: HTML
            if let list = s.tools {
                tools = list.isEmpty ? "none listed" : """
                    <ul class="tools">\(list.map { t -> HTML in
                        let who: HTML = t.clients.isEmpty ? "<em>no client</em>" : "\(t.clients.joined(separator: ", "))"
                        let title: HTML = t.description.map { " title=\"\($0)\"" } ?? .empty
                        return "<li><code\(title)>\(t.name)</code> <span class=\"who\">→ \(who)</span></li>"
                    })</ul>
                    """
            } else {
                tools = "<em>\(s.toolsError ?? "unknown")</em>"
            }
            return """
                <tr>
                <th scope="row">\(s.name)</th>
                <td data-label="Sync">\(state)\(pending)</td>
                <td data-label="Desired / observed">\(s.desiredState) / <strong>\(s.observedState)</strong></td>
                <td data-label="Image"><code>\(shortImage(s.desiredImage))</code>\(s.observedImage != nil && s.observedImage != s.desiredImage ? "<br>runs <code>\(shortImage(s.observedImage))</code>" as HTML : .empty)</td>
                <td data-label="Spec"><code>\(s.desiredSpecHash ?? "-")</code>\(s.observedSpecHash != s.desiredSpecHash ? "<br>runs <code>\(s.observedSpecHash ?? "none")</code>" as HTML : .empty)</td>
                <td class="num" data-label="Restarts">\(s.restarts)</td>
                <td data-label="Tools → clients">\(tools)</td>
                </tr>
                """
        }
        return """
            <div class="scroll" tabindex="0" role="region" aria-label="Servers table">
            <table class="cards">
            <thead><tr><th scope="col">Server</th><th scope="col">Sync</th><th scope="col">Desired / observed</th>
            <th scope="col">Image</th><th scope="col">Spec</th><th scope="col">Restarts</th><th scope="col">Tools → clients allowed</th></tr></thead>
            <tbody>\(rows)</tbody>
            </table></div>
            """
    }

    static func access(_ page: AccessPage) -> HTML {
        guard page.gateway else { return "<p>No gateway runs in this controller, so there are no routes to show.</p>" }
        guard !page.rows.isEmpty else { return "<p>The repository declares no clients.</p>" }
        let head = page.columns.map { c -> HTML in "<th scope=\"col\"><span class=\"server\">\(c.server)</span> <code>\(c.tool)</code></th>" }
        let rows = page.rows.map { row -> HTML in
            let cells = row.allowed.map { allowed -> HTML in
                allowed ? "<td class=\"allow\">allowed</td>" : "<td class=\"deny\">denied</td>"
            }
            return "<tr><th scope=\"row\">\(row.client)</th>\(cells)</tr>"
        }
        let rules = page.rows.map { row -> HTML in
            "<dt>\(row.client)</dt><dd><ul>\(row.rules.map { rule -> HTML in "<li><code>\(rule)</code></li>" })</ul></dd>"
        }
        let unlisted: HTML = page.unlisted.isEmpty ? .empty
            : "<p>Tools not yet listed for: \(page.unlisted.joined(separator: ", ")). Their rules are below.</p>"
        let matrix: HTML = page.columns.isEmpty ? "<p>No server has listed tools yet.</p>" : """
            <div class="scroll" tabindex="0" role="region" aria-label="Access matrix">
            <table class="matrix">
            <thead><tr><th scope="col">Client</th>\(head)</tr></thead>
            <tbody>\(rows)</tbody>
            </table></div>
            """
        return """
            <p>What each client may call, as its policies decide (default deny, deny wins).</p>
            \(matrix)
            \(unlisted)
            <section aria-labelledby="rules"><h2 id="rules">Rules by client</h2><dl class="rules">\(rules)</dl></section>
            """
    }

    static func history(_ page: HistoryPage) -> HTML {
        let toggle: HTML = page.includeNoop ? "<p><a href=\"/history\">Hide runs that changed nothing</a></p>"
            : "<p><a href=\"/history?noop=1\">Show runs that changed nothing too</a></p>"
        guard !page.runs.isEmpty else { return "\(toggle)<p>No runs recorded yet.</p>" }
        let runs = page.runs.map { run -> HTML in
            let lines = run.actions.map { a -> String in
                let error = a.error.map { "\n      \($0)" } ?? ""
                return "\(a.marker.padding(toLength: 3, withPad: " ", startingAt: 0)) \(a.address) (\(a.kind)): \(a.outcome), \(a.durationMs) ms\(error)"
            }
            let actions: HTML = lines.isEmpty ? "<p>No actions.</p>" : "<pre class=\"plan\">\(lines.joined(separator: "\n"))</pre>"
            return """
                <article class="run">
                <h2>\(badge(run.result)) <code>\(String(run.revision.prefix(12)))</code> by \(run.trigger)</h2>
                <p>Started \(time(run.startedAt)), took \(run.durationMs) ms, \(run.actions.count) actions.</p>
                \(actions)
                </article>
                """
        }
        return "\(toggle)\(runs)"
    }

    static func calls(_ page: CallsPage) -> HTML {
        let q = page.query
        let windows = CallQuery.windows.map { w -> HTML in
            w.name == q.window ? "<option selected>\(w.name)</option>" : "<option>\(w.name)</option>"
        }
        let decisions = ["", "allowed", "denied"].map { d -> HTML in
            (q.decision ?? "") == d ? "<option value=\"\(d)\" selected>\(d.isEmpty ? "any" : d)</option>"
                : "<option value=\"\(d)\">\(d.isEmpty ? "any" : d)</option>"
        }
        let form: HTML = """
            <form class="filters" method="get" action="/calls">
            <label>Client <input name="client" value="\(q.client ?? "")"></label>
            <label>Server <input name="server" value="\(q.server ?? "")"></label>
            <label>Tool <input name="tool" value="\(q.tool ?? "")"></label>
            <label>Decision <select name="decision">\(decisions)</select></label>
            <label>Since <select name="window">\(windows)</select></label>
            <button type="submit">Filter</button>
            </form>
            """
        let stats = page.stats.map { s -> HTML in
            """
            <tr><th scope="row">\(s.server) <code>\(s.tool)</code></th><td class="num">\(s.calls)</td><td class="num">\(s.denied)</td>
            <td class="num">\(s.failed)</td><td class="num">\(ms(s.p50Ms))</td><td class="num">\(ms(s.p95Ms))</td><td class="num">\(ms(s.p99Ms))</td></tr>
            """
        }
        let calls = page.calls.map { c -> HTML in
            """
            <tr><td>\(time(c.at))</td><td>\(c.client)</td><td>\(c.server)</td><td><code>\(c.tool)</code></td>
            <td>\(badge(c.decision))</td><td>\(badge(c.outcome))\(c.error.map { "<br><small>\($0)</small>" as HTML } ?? .empty)</td><td class="num">\(c.durationMs)</td></tr>
            """
        }
        return """
            \(form)
            <section aria-labelledby="per-tool"><h2 id="per-tool">Per tool</h2>
            \(page.stats.isEmpty ? "<p>No calls match.</p>" as HTML : """
            <div class="scroll" tabindex="0" role="region" aria-label="Calls per tool"><table>
            <thead><tr><th scope="col">Tool</th><th scope="col">Calls</th><th scope="col">Denied</th><th scope="col">Failed</th>
            <th scope="col">p50 ms</th><th scope="col">p95 ms</th><th scope="col">p99 ms</th></tr></thead>
            <tbody>\(stats)</tbody></table></div>
            """ as HTML)
            </section>
            <section aria-labelledby="recent"><h2 id="recent">Newest \(q.limit) calls</h2>
            \(page.calls.isEmpty ? "<p>No calls match.</p>" as HTML : """
            <div class="scroll" tabindex="0" role="region" aria-label="Calls"><table>
            <thead><tr><th scope="col">Started</th><th scope="col">Client</th><th scope="col">Server</th><th scope="col">Tool</th>
            <th scope="col">Decision</th><th scope="col">Outcome</th><th scope="col">ms</th></tr></thead>
            <tbody>\(calls)</tbody></table></div>
            """ as HTML)
            </section>
            """
    }

    static func login(next: String, error: String?) -> HTML {
        let message: HTML = error.map { "<p class=\"error\" role=\"alert\">\($0)</p>" } ?? .empty
        return plain(title: "Sign in", body: """
            \(message)
            <p>This dashboard is read-only. Reaching it from another host needs the controller's admin token.</p>
            <form method="post" action="/login">
            <input type="hidden" name="next" value="\(next)">
            <label>Admin token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
            <button type="submit">Sign in</button>
            </form>
            """)
    }

    // MARK: Pieces

    static func commit(revision: String, _ commit: ControllerStatus.Commit?) -> HTML {
        guard let commit else { return "<code>\(String(revision.prefix(12)))</code>" }
        return "<code>\(String(revision.prefix(12)))</code> “\(commit.summary)” by \(commit.author), \(time(commit.authoredAt))"
    }

    static func badge(_ word: String) -> HTML {
        "<span class=\"badge \(word)\">\(word)</span>"
    }

    static func time(_ date: Date) -> HTML {
        "<time datetime=\"\(iso(date))\">\(human(date))</time>"
    }

    /// Image IDs as `docker images` shows them: 12 hex digits.
    static func shortImage(_ image: String?) -> String {
        guard let image else { return "-" }
        return image.hasPrefix("sha256:") ? String(image.dropFirst("sha256:".count).prefix(12)) : image
    }

    static func ms(_ value: Int64?) -> HTML { value.map { "\($0)" } ?? "-" }

    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    static func human(_ date: Date) -> String {
        let style = Date.ISO8601FormatStyle(dateSeparator: .dash, dateTimeSeparator: .space, timeSeparator: .colon, timeZone: .gmt)
        return date.formatted(style).replacingOccurrences(of: "Z", with: " UTC")
    }
}
