/// The console's style sheet (`/static/console.css`): readable contrast (WCAG AA), visible
/// focus, one column on narrow screens.
enum ConsoleStyle {
    static let source = """
        :root { --ink: #1d2330; --muted: #4f5b6d; --line: #d5dae2; --bg: #f6f7f9; --card: #fff;
          --accent: #1f5fbf; --good: #1e7a3a; --warn: #8a5a00; --bad: #b42318; --focus: #ffbf47; }
        * { box-sizing: border-box; }
        [hidden] { display: none !important; }
        body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
        a { color: var(--accent); }
        :focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
        .skip { position: absolute; left: -999px; } .skip:focus { left: 1em; top: 1em; background: var(--card); padding: .5em; z-index: 2; }
        .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
        header.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5em 1.5em; padding: .6em 1.2em; background: #14213d; color: #fff; }
        header.top a { color: #fff; }
        .brand { font-weight: 700; font-size: 1.15em; text-decoration: none; }
        header nav ul, .languages { display: flex; flex-wrap: wrap; gap: .2em 1em; list-style: none; margin: 0; padding: 0; }
        .languages a[aria-current] { font-weight: 700; text-decoration: none; }
        .tools { margin-left: auto; display: flex; flex-wrap: wrap; align-items: center; gap: .5em 1em; }
        .who code { color: #fff; }
        main { max-width: 72em; margin: 0 auto; padding: 1em 1.2em 3em; }
        h1 small { color: var(--muted); font-weight: 400; font-size: .6em; }
        .narrow { max-width: 28em; margin: 3em auto; }
        table.list { width: 100%; border-collapse: collapse; background: var(--card); }
        table.list th, table.list td { text-align: left; padding: .5em .6em; border-bottom: 1px solid var(--line); vertical-align: top; }
        table.list thead th { background: #eceff3; font-size: .9em; }
        tr.unread td { font-weight: 600; }
        td.when { white-space: nowrap; }
        fieldset { border: 1px solid var(--line); background: var(--card); margin: 0 0 1em; padding: 1em; }
        legend { font-weight: 700; padding: 0 .3em; }
        .grid { display: grid; grid-template-columns: minmax(10em, 16em) 1fr; gap: .5em 1em; align-items: center; }
        .grid small { grid-column: 2; color: var(--muted); margin-top: -.3em; }
        .stack { display: flex; flex-direction: column; gap: .5em; }
        input, select, button, .button { font: inherit; }
        input:not([type=checkbox]), select { padding: .4em .5em; border: 1px solid #8791a1; border-radius: 4px; width: 100%; max-width: 36em; background: #fff; color: var(--ink); }
        input[readonly] { background: #eef0f3; }
        button, .button { display: inline-block; padding: .45em 1em; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; }
        button.secondary, .button.secondary { background: #fff; color: var(--accent); }
        button.danger { background: var(--bad); border-color: var(--bad); }
        button.link { background: none; border: none; color: #fff; text-decoration: underline; padding: 0; }
        button:disabled { opacity: .55; cursor: not-allowed; }
        .actions { display: flex; flex-wrap: wrap; gap: .5em; margin: 1em 0; align-items: center; }
        form.inline { display: inline-flex; gap: .5em; align-items: center; flex-wrap: wrap; }
        .filters { display: flex; flex-wrap: wrap; gap: .5em 1em; align-items: center; margin: 1em 0; }
        .filters input, .filters select { width: auto; }
        .inline-check { display: inline-flex; gap: .4em; align-items: center; }
        .secret { display: flex; flex-direction: column; gap: .2em; }
        .secret-state { color: var(--muted); }
        .pill { display: inline-block; padding: 0 .5em; border-radius: 1em; font-size: .85em; border: 1px solid currentColor; }
        .pill.ok, .pill.good, .good { color: var(--good); }
        .pill.warn { color: var(--warn); } .pill.bad, .bad { color: var(--bad); }
        .pill.off { color: var(--muted); } .pill.info { color: var(--accent); }
        .badge { display: inline-block; min-width: 1.4em; padding: 0 .4em; border-radius: 1em; background: #ffd166; color: #14213d; font-weight: 700; text-align: center; }
        .notice { background: #e7f5ec; border-left: 4px solid var(--good); padding: .6em 1em; }
        .notice.warn { background: #fff4e0; border-left-color: var(--warn); }
        .error { background: #fdecea; border-left: 4px solid var(--bad); padding: .6em 1em; }
        .checks { list-style: none; padding: 0; }
        .checks li { background: var(--card); border: 1px solid var(--line); border-left-width: 4px; padding: .5em .8em; margin: .3em 0; }
        .checks li.ok { border-left-color: var(--good); } .checks li.failed { border-left-color: var(--bad); }
        .checks li.warning { border-left-color: var(--warn); } .checks li.pending { border-left-color: var(--accent); }
        .check-name { font-weight: 600; } .remedy { margin: .3em 0 0; color: var(--muted); }
        .danger-zone { margin-top: 2em; }
        .secret-once { font-family: ui-monospace, monospace; }
        dl.facts { display: grid; grid-template-columns: 12em 1fr; gap: .3em 1em; background: var(--card); padding: 1em; }
        dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; word-break: break-all; }
        @media (max-width: 40em) {
          .grid, dl.facts { grid-template-columns: 1fr; } .grid small { grid-column: 1; }
          table.list thead { display: none; } table.list tr { display: block; border-bottom: 2px solid var(--line); }
          table.list td { display: block; border: none; padding: .2em .6em; }
          .tools { margin-left: 0; }
        }
        """
}
