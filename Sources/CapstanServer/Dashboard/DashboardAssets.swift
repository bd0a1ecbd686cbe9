/// The dashboard's stylesheet and script, compiled into the binary: nothing to install, no build
/// chain, and the Content-Security-Policy can allow `'self'` only.
enum DashboardAssets {
    static let css = #"""
        :root { color-scheme: light dark; --bg: #fbfbfa; --fg: #1d1f21; --muted: #5c6166; --line: #d9dcdf; --panel: #ffffff;
          --accent: #1f5fbf; --ok: #1d7a3a; --warn: #9a6200; --bad: #b3261e; --okbg: #e6f4ea; --badbg: #fce8e6; --warnbg: #fef3e0; }
        @media (prefers-color-scheme: dark) {
          :root { --bg: #15171a; --fg: #e6e8ea; --muted: #a3a9b0; --line: #33383e; --panel: #1d2024;
            --accent: #8ab4f8; --ok: #81c995; --warn: #fdd663; --bad: #f28b82; --okbg: #1e3326; --badbg: #3b1f1d; --warnbg: #3a3020; }
        }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
        a { color: var(--accent); }
        a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, [tabindex]:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
        code, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.92em; }
        .skip { position: absolute; left: -999px; top: 0; background: var(--panel); padding: 0.5rem 1rem; z-index: 1; }
        .skip:focus { left: 0.5rem; }
        header { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1.5rem; padding: 0.75rem 1.5rem; border-bottom: 1px solid var(--line); background: var(--panel); }
        .brand { margin: 0; font-weight: 700; }
        .instance { font-weight: 400; color: var(--muted); margin-left: 0.35rem; }
        nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; margin: 0; padding: 0; }
        nav a { text-decoration: none; padding: 0.25rem 0; }
        nav a[aria-current="page"] { font-weight: 700; border-bottom: 2px solid var(--accent); }
        .live { margin: 0 0 0 auto; color: var(--muted); font-size: 0.85em; }
        main { padding: 1rem 1.5rem 2rem; max-width: 1400px; }
        main.narrow { max-width: 32rem; margin: 2rem auto; }
        h1 { font-size: 1.5rem; margin: 0.5rem 0 1rem; }
        h2 { font-size: 1.1rem; margin: 1.5rem 0 0.5rem; }
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.35rem 1rem; margin: 0; }
        .facts dt { color: var(--muted); }
        .facts dd { margin: 0; overflow-wrap: anywhere; }
        .counts { list-style: none; display: flex; flex-wrap: wrap; gap: 0.75rem; padding: 0; }
        .counts li { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 0.5rem 0.9rem; }
        .counts strong { font-size: 1.3em; margin-right: 0.3rem; }
        .scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; vertical-align: top; padding: 0.45rem 0.7rem; border-bottom: 1px solid var(--line); }
        thead th { font-size: 0.85em; color: var(--muted); white-space: nowrap; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        .tools { list-style: none; margin: 0; padding: 0; }
        .who { color: var(--muted); }
        .matrix td { text-align: center; font-size: 0.85em; }
        .matrix .server { display: block; color: var(--muted); font-weight: 400; }
        td.allow { color: var(--ok); background: var(--okbg); }
        td.deny { color: var(--muted); }
        .badge { white-space: nowrap; display: inline-block; padding: 0 0.45rem; border-radius: 999px; font-size: 0.85em; border: 1px solid var(--line); }
        .badge.synced, .badge.succeeded, .badge.in-sync, .badge.allowed, .badge.ok { color: var(--ok); background: var(--okbg); border-color: transparent; }
        .badge.failed, .badge.crash-looping, .badge.denied, .badge.invalid, .badge.fetch_failed, .badge.timeout, .badge.unavailable, .badge.protocol-error, .badge.tool-error, .badge.engine_error, .badge.gateway_error, .badge.unplannable, .badge.audit_unavailable { color: var(--bad); background: var(--badbg); border-color: transparent; }
        .badge.out-of-sync, .badge.drifted, .badge.syncing, .badge.partial { color: var(--warn); background: var(--warnbg); border-color: transparent; }
        .state { font-size: 1.2em; margin: 0 0 0.5rem; }
        pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem 0.8rem; overflow-x: auto; }
        pre.errors { color: var(--bad); white-space: pre-wrap; }
        .run { border-top: 1px solid var(--line); }
        .run h2 { font-size: 1rem; }
        .filters { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: end; margin-bottom: 1rem; }
        .filters label, form label { display: flex; flex-direction: column; font-size: 0.85em; color: var(--muted); gap: 0.2rem; }
        input, select, button { font: inherit; color: var(--fg); background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 0.3rem 0.5rem; }
        button { cursor: pointer; border-color: var(--accent); }
        .error { color: var(--bad); }
        .twin { margin-top: 2rem; color: var(--muted); font-size: 0.85em; }
        .rules dt { font-weight: 700; margin-top: 0.5rem; }
        .rules ul { margin: 0.2rem 0; padding-left: 1.2rem; }
        @media (max-width: 640px) {
          header { padding: 0.6rem 1rem; }
          main { padding: 0.75rem 1rem 2rem; }
          .facts { grid-template-columns: 1fr; }
          .facts dt { margin-top: 0.4rem; }
          .live { margin-left: 0; width: 100%; }
          /* A table of cards: one server per block, each cell labelled, nothing to scroll. */
          table.cards thead { position: absolute; left: -9999px; }
          table.cards, table.cards tbody, table.cards tr, table.cards th, table.cards td { display: block; }
          table.cards tr { border-bottom: 1px solid var(--line); padding: 0.4rem 0; }
          table.cards th, table.cards td { border: 0; padding: 0.2rem 0.7rem; text-align: left; }
          table.cards td::before { content: attr(data-label); display: block; font-size: 0.8em; color: var(--muted); }
        }
        """#

    /// The tab's icon: a capstan seen from above (drum, cap, bars). Linked from every page, so the
    /// browser does not ask for a /favicon.ico that is not there.
    static let icon = #"""
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
        <g stroke="#1f5fbf" stroke-width="3" stroke-linecap="round"><path d="M4 16h24M16 4v24"/></g>
        <circle cx="16" cy="16" r="8" fill="#1f5fbf"/><circle cx="16" cy="16" r="3.5" fill="#fbfbfa"/>
        </svg>
        """#

    /// Redraws `<main>` from the same URL when the controller reports a change, and counts the
    /// next poll down. The page works without it.
    static let js = #"""
        "use strict";
        (function () {
          const live = document.getElementById("live");
          let timer = null;
          async function redraw() {
            const response = await fetch(location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
            if (!response.ok) return;
            const next = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("main");
            const main = document.getElementById("main");
            if (next && main && !main.contains(document.activeElement)) main.replaceChildren(...next.childNodes);
          }
          function tick() {
            for (const el of document.querySelectorAll("[data-countdown]")) {
              const s = Math.max(0, Math.round((Date.parse(el.dataset.countdown) - Date.now()) / 1000));
              el.textContent = s > 0 ? "in " + s + " s" : "now";
            }
          }
          setInterval(tick, 1000);
          if (!window.EventSource || !live) return;
          const events = new EventSource("/api/v1/events");
          events.onopen = () => { live.textContent = "live"; };
          events.onerror = () => { live.textContent = "reconnecting…"; };
          events.onmessage = () => { clearTimeout(timer); timer = setTimeout(redraw, 300); };
        })();
        """#
}
