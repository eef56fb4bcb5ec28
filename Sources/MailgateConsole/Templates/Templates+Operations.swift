extension Templates {
    static let importSheet = """
        {{<layout}}{{$main}}
        <h1>{{t.import_title}} <small>{{tenant}}</small></h1>
        <p>{{t.import_help}}</p>
        <form method="post" action="/tenants/{{tenant}}/server-sheet/import" enctype="multipart/form-data" class="stack">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="sheet">{{t.sheet_file}}</label>
          <input id="sheet" name="sheet" type="file" accept=".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required>
          <button type="submit">{{t.dry_run}}</button>
        </form>
        {{#result}}
        <h2>{{#applied}}{{t.import_applied}}{{/applied}}{{^applied}}{{t.dry_run_result}}{{/applied}}</h2>
        <p id="import-summary">{{summary}}</p>
        <table class="list" id="import-rows">
          <thead><tr><th scope="col">{{t.row}}</th><th scope="col">{{t.server_name}}</th><th scope="col">{{t.outcome}}</th><th scope="col">{{t.problems}}</th></tr></thead>
          <tbody>
          {{#rows}}
          <tr class="{{outcomeClass}}"><td>{{row}}</td><td>{{server}}</td><td>{{outcome}}</td>
            <td>{{#violations}}<div><strong>{{field}}</strong>: {{description}}</div>{{/violations}}</td></tr>
          {{/rows}}
          </tbody>
        </table>
        {{^applied}}{{#canApply}}
        <form method="post" action="/tenants/{{tenant}}/server-sheet/import" class="inline">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <input type="hidden" name="apply" value="1">
          <input type="hidden" name="format" value="{{format}}">
          <input type="hidden" name="sheet_sealed" value="{{sealedSheet}}">
          <button type="submit" id="apply-import">{{t.apply_import}}</button>
        </form>
        {{/canApply}}{{/applied}}
        {{/result}}
        {{/main}}{{/layout}}
        """

    static let events = """
        {{<layout}}{{$main}}
        <h1>{{t.events_title}} <small>{{tenant}}</small></h1>
        <form method="get" action="/tenants/{{tenant}}/events" class="filters">
          <label for="severity">{{t.min_severity}}</label>
          <select id="severity" name="severity">{{#severityOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/severityOptions}}</select>
          <label for="kind">{{t.kind}}</label>
          <input id="kind" name="kind" value="{{kind}}">
          <label class="inline-check"><input type="checkbox" name="unread" value="1"{{#unreadOnly}} checked{{/unreadOnly}}> {{t.unread_only}}</label>
          <button type="submit" class="secondary">{{t.filter}}</button>
        </form>
        <form method="post" action="/tenants/{{tenant}}/events/read" id="events-form">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <div class="actions">
            <button type="submit" name="mark" value="selected" class="secondary">{{t.mark_selected_read}}</button>
            <button type="submit" name="mark" value="all" class="secondary" id="mark-all-read">{{t.mark_all_read}}</button>
          </div>
          <table class="list" id="events">
            <thead><tr><th scope="col"><span class="visually-hidden">{{t.select}}</span></th><th scope="col">{{t.when}}</th><th scope="col">{{t.severity}}</th><th scope="col">{{t.kind}}</th><th scope="col">{{t.event_message}}</th></tr></thead>
            <tbody>
            {{#events}}
            <tr class="{{#unread}}unread{{/unread}}" data-event="{{id}}">
              <td>{{#unread}}<input type="checkbox" name="event_{{id}}" value="1" aria-label="{{t.select}}">{{/unread}}</td>
              <td class="when">{{when}}</td>
              <td><span class="pill {{severityClass}}">{{severity}}</span></td>
              <td><code>{{kind}}</code></td>
              <td>{{message}}{{#unread}} <span class="pill info">{{t.new}}</span>{{/unread}}</td>
            </tr>
            {{/events}}
            {{^events}}<tr><td colspan="5">{{t.no_events}}</td></tr>{{/events}}
            </tbody>
          </table>
        </form>
        {{#nextPage}}<p><a href="{{nextPage}}">{{t.older}}</a></p>{{/nextPage}}
        {{/main}}{{/layout}}
        """

    static let expiring = """
        {{<layout}}{{$main}}
        <h1>{{t.expiring_title}}</h1>
        <form method="get" action="/expiring" class="filters">
          <label for="within">{{t.within_days}}</label>
          <input id="within" name="within" value="{{within}}" inputmode="numeric" pattern="[0-9]*">
          <button type="submit" class="secondary">{{t.filter}}</button>
        </form>
        <table class="list" id="expiring">
          <thead><tr><th scope="col">{{t.tenant}}</th><th scope="col">{{t.server_name}}</th><th scope="col">{{t.provider}}</th><th scope="col">{{t.expires}}</th><th scope="col">{{t.days_left_column}}</th><th scope="col">{{t.source}}</th></tr></thead>
          <tbody>
          {{#secrets}}
          <tr><td>{{tenant}}</td><td><a href="/tenants/{{tenant}}/servers/{{serverURL}}">{{server}}</a></td><td>{{provider}}</td><td>{{expires}}</td>
            <td><span class="pill {{daysClass}}">{{daysLeft}}</span></td><td>{{source}}</td></tr>
          {{/secrets}}
          {{^secrets}}<tr><td colspan="6">{{t.nothing_expiring}}</td></tr>{{/secrets}}
          </tbody>
        </table>
        {{/main}}{{/layout}}
        """

    static let message = """
        {{<layout}}{{$main}}
        <h1>{{t.messages_title}} <small>{{tenant}}</small></h1>
        <form method="get" action="/tenants/{{tenant}}/messages" class="filters">
          <label for="id">{{t.message_lookup}}</label>
          <input id="id" name="id" value="{{query}}" required spellcheck="false">
          <button type="submit" class="secondary">{{t.look_up}}</button>
        </form>
        {{#message}}
        <dl class="facts" id="message">
          <dt>{{t.message_id}}</dt><dd><code>{{id}}</code></dd>
          <dt>{{t.rfc822_id}}</dt><dd><code>{{rfc822}}</code></dd>
          <dt>{{t.state}}</dt><dd><span class="pill {{stateClass}}">{{state}}</span>{{#uncertain}} <span class="pill warn">{{t.uncertain}}</span>{{/uncertain}}</dd>
          <dt>{{t.subject}}</dt><dd>{{subject}}</dd>
          <dt>{{t.created}}</dt><dd>{{created}}</dd>
          <dt>{{t.attempts}}</dt><dd>{{attempts}}</dd>
          {{#nextAttempt}}<dt>{{t.next_attempt}}</dt><dd>{{nextAttempt}}</dd>{{/nextAttempt}}
          {{#waitingReason}}<dt>{{t.waiting_reason}}</dt><dd id="waiting-reason">{{waitingReason}}</dd>{{/waitingReason}}
          {{#lastError}}<dt>{{t.last_error}}</dt><dd>{{lastError}}</dd>{{/lastError}}
        </dl>
        <h2>{{t.recipients}}</h2>
        <table class="list"><thead><tr><th scope="col">{{t.recipient}}</th><th scope="col">{{t.outcome}}</th><th scope="col">{{t.reply}}</th></tr></thead>
          <tbody>{{#recipients}}<tr><td>{{address}}</td><td>{{outcome}}</td><td><code>{{reply}}</code></td></tr>{{/recipients}}</tbody></table>
        <h2>{{t.attempt_history}}</h2>
        <table class="list"><thead><tr><th scope="col">{{t.when}}</th><th scope="col">{{t.outcome}}</th><th scope="col">{{t.reply}}</th></tr></thead>
          <tbody>{{#history}}<tr><td>{{when}}</td><td>{{outcome}}</td><td><code>{{reply}}</code></td></tr>{{/history}}
          {{^history}}<tr><td colspan="3">{{t.no_attempts}}</td></tr>{{/history}}</tbody></table>
        {{/message}}
        {{/main}}{{/layout}}
        """
}
