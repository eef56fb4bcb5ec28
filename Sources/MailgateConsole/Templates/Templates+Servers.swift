extension Templates {
    static let servers = """
        {{<layout}}{{$main}}
        <h1>{{t.servers_title}} <small>{{tenant}}</small></h1>
        <div class="actions">
          {{#isOperator}}
          <a class="button" href="/tenants/{{tenant}}/new-server?preset=microsoft">{{t.new_microsoft}}</a>
          <a class="button" href="/tenants/{{tenant}}/new-server?preset=google">{{t.new_google}}</a>
          <a class="button" href="/tenants/{{tenant}}/new-server?preset=basic">{{t.new_basic}}</a>
          <a class="button" href="/tenants/{{tenant}}/new-server">{{t.new_plain}}</a>
          {{/isOperator}}
          <a class="button secondary" href="/tenants/{{tenant}}/server-sheet/export?format=xlsx">{{t.export_xlsx}}</a>
          <a class="button secondary" href="/tenants/{{tenant}}/server-sheet/export?format=csv">{{t.export_csv}}</a>
          <a class="button secondary" href="/tenants/{{tenant}}/server-sheet/export?format=xlsx&amp;template=1">{{t.download_template}}</a>
          {{#isOperator}}<a class="button secondary" href="/tenants/{{tenant}}/server-sheet/import">{{t.import}}</a>{{/isOperator}}
        </div>
        <table class="list" id="servers">
          <caption class="visually-hidden">{{t.servers_title}}</caption>
          <thead><tr>
            <th scope="col">{{t.server_name}}</th><th scope="col">{{t.host}}</th><th scope="col">{{t.auth}}</th>
            <th scope="col">{{t.default}}</th><th scope="col">{{t.last_validation}}</th><th scope="col">{{t.secret_expiry}}</th>
            <th scope="col">{{t.delivery}}</th>
          </tr></thead>
          <tbody>
          {{#servers}}
          <tr>
            <td><a href="/tenants/{{tenant}}/servers/{{nameURL}}">{{name}}</a></td>
            <td>{{host}}:{{port}}</td>
            <td>{{auth}}</td>
            <td>{{#isDefault}}<span aria-hidden="true">★</span><span class="visually-hidden">{{t.default}}</span>{{/isDefault}}</td>
            <td>{{#validated}}<span class="{{validationClass}}" aria-hidden="true">{{validationMark}}</span><span class="visually-hidden">{{validationText}}</span> {{validatedAt}}{{/validated}}{{^validated}}{{t.never}}{{/validated}}</td>
            <td>{{#expiry}}<span class="pill {{expiryClass}}">{{expiry}}</span>{{/expiry}}</td>
            <td><span class="pill {{deliveryClass}}" title="{{deliveryDetail}}">{{delivery}}</span></td>
          </tr>
          {{/servers}}
          {{^servers}}<tr><td colspan="7">{{t.no_servers}}</td></tr>{{/servers}}
          </tbody>
        </table>
        {{/main}}{{/layout}}
        """

    static let serverForm = """
        {{<layout}}{{$main}}
        <h1>{{#isNew}}{{t.new_server}}{{/isNew}}{{^isNew}}{{t.server}} {{name}}{{/isNew}}</h1>
        {{#deliveryBlocked}}<div class="error" role="alert" id="delivery-state"><p>{{deliveryBlocked}}</p><p>{{deliveryDetail}}</p><p>{{deliveryRemedy}}</p></div>{{/deliveryBlocked}}
        {{#deliveryPaused}}<p class="notice warn" role="status" id="delivery-state">{{deliveryPaused}}</p>{{/deliveryPaused}}
        <form method="post" action="/tenants/{{tenant}}/server-save" id="server-form" class="server-form"
              data-tenant="{{tenant}}" data-server="{{storedName}}">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <input type="hidden" name="expected_version" value="{{version}}">
          <input type="hidden" name="stored_name" value="{{storedName}}">
          <fieldset {{^isOperator}}disabled{{/isOperator}}>
            <legend>{{t.connection}}</legend>
            <div class="grid">
              <label for="name">{{t.server_name}}</label>
              <input id="name" name="name" value="{{name}}" required {{^isNew}}readonly{{/isNew}}>
              <label for="host">{{t.host}}</label>
              <input id="host" name="host" value="{{host}}" required>
              <label for="port">{{t.port}}</label>
              <input id="port" name="port" value="{{port}}" inputmode="numeric" pattern="[0-9]*">
              <label for="security">{{t.security}}</label>
              <select id="security" name="security">{{#securityOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/securityOptions}}</select>
              <label for="sender_name">{{t.sender_name}}</label>
              <input id="sender_name" name="sender_name" value="{{senderName}}">
              <label for="sender_address">{{t.sender_address}}</label>
              <input id="sender_address" name="sender_address" value="{{senderAddress}}" type="email" required>
              <label for="is_default">{{t.default_server}}</label>
              <input id="is_default" name="is_default" type="checkbox" value="1"{{#isDefault}} checked{{/isDefault}}>
            </div>
          </fieldset>
          <fieldset {{^isOperator}}disabled{{/isOperator}}>
            <legend>{{t.authentication}}</legend>
            <div class="grid">
              <label for="auth_type">{{t.auth}}</label>
              <select id="auth_type" name="auth_type">{{#authOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/authOptions}}</select>
              <label for="username">{{t.username}}</label>
              <input id="username" name="username" value="{{username}}" autocomplete="off">
              {{#password}}{{> secret-field}}{{/password}}
            </div>
          </fieldset>
          <fieldset data-shown-for="oauth2" {{^isOperator}}disabled{{/isOperator}}>
            <legend>{{t.oauth}}</legend>
            <div class="grid">
              <label for="provider">{{t.provider}}</label>
              <select id="provider" name="provider">{{#providerOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/providerOptions}}</select>
              <label for="flow">{{t.flow}}</label>
              <select id="flow" name="flow">{{#flowOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/flowOptions}}</select>
              <label for="client_id">{{t.client_id}}</label>
              <input id="client_id" name="client_id" value="{{clientID}}" autocomplete="off">
              <label for="directory_id">{{t.directory_id}}</label>
              <input id="directory_id" name="directory_id" value="{{directoryID}}" autocomplete="off">
              <label for="authorization_url">{{t.authorization_url}}</label>
              <input id="authorization_url" name="authorization_url" value="{{authorizationURL}}" type="url">
              <label for="token_url">{{t.token_url}}</label>
              <input id="token_url" name="token_url" value="{{tokenURL}}" type="url">
              <label for="scopes">{{t.scopes}}</label>
              <input id="scopes" name="scopes" value="{{scopes}}" aria-describedby="scopes-help">
              <small id="scopes-help">{{t.scopes_help}}</small>
              {{#clientSecret}}{{> secret-field}}{{/clientSecret}}
              <label for="client_secret_expires_at">{{t.client_secret_expires}}</label>
              <input id="client_secret_expires_at" name="client_secret_expires_at" type="date" value="{{clientSecretExpiresAt}}">
              <input type="hidden" name="client_secret_expires_at_shown" value="{{clientSecretExpiresAt}}">
              <label for="discover_secret_expiry">{{t.discover_expiry}}</label>
              <input id="discover_secret_expiry" name="discover_secret_expiry" type="checkbox" value="1"{{#discoverExpiry}} checked{{/discoverExpiry}}>
              {{#refreshToken}}{{> secret-field}}{{/refreshToken}}
              <span></span>
              <div>
                {{#isOperator}}<button type="button" id="get-refresh-token" data-waiting="{{t.consent_waiting}}" data-done="{{t.consent_done}}"
                        data-failed="{{t.consent_not_completed}}" data-blocked="{{t.popup_blocked}}">{{t.get_refresh_token}}</button>{{/isOperator}}
                <p id="consent-status" role="status" aria-live="polite">{{consentAccount}}</p>
              </div>
            </div>
          </fieldset>
          <fieldset {{^isOperator}}disabled{{/isOperator}}>
            <legend>{{t.limits}}</legend>
            <div class="grid">
              <label for="rate_limit_per_minute">{{t.rate_limit}}</label>
              <input id="rate_limit_per_minute" name="rate_limit_per_minute" value="{{rateLimit}}" inputmode="numeric" pattern="[0-9]*">
              <label for="max_connections">{{t.max_connections}}</label>
              <input id="max_connections" name="max_connections" value="{{maxConnections}}" inputmode="numeric" pattern="[0-9]*">
              <label for="daily_recipient_limit">{{t.daily_recipients}}</label>
              <input id="daily_recipient_limit" name="daily_recipient_limit" value="{{dailyRecipients}}" inputmode="numeric" pattern="[0-9]*">
              <label for="uncertain_policy">{{t.uncertain_policy}}</label>
              <select id="uncertain_policy" name="uncertain_policy">{{#uncertainOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/uncertainOptions}}</select>
              <label for="allow_plaintext_auth">{{t.allow_plaintext_auth}}</label>
              <input id="allow_plaintext_auth" name="allow_plaintext_auth" type="checkbox" value="1"{{#allowPlaintextAuth}} checked{{/allowPlaintextAuth}}>
            </div>
          </fieldset>
          <div class="actions">
            {{#isOperator}}<button type="submit" id="save">{{t.save}}</button>{{/isOperator}}
            <button type="button" id="test-connection" class="secondary">{{t.test_connection}}</button>
            <label class="inline-check"><input type="checkbox" id="send_test_message" checked> {{t.send_test_message}}</label>
          </div>
        </form>
        <section id="test-panel" hidden aria-labelledby="test-title">
          <h2 id="test-title" tabindex="-1">{{t.test_connection}}</h2>
          <p id="test-summary" role="status" aria-live="polite"></p>
          <ol id="test-checks" class="checks"
              data-pending="{{t.check_running}}" data-ok="{{t.check_ok}}" data-failed="{{t.check_failed}}"
              data-warning="{{t.check_warning}}" data-skipped="{{t.check_skipped}}" data-remedy="{{t.remedy}}"
              data-message="{{t.view_test_message}}">
            {{#checkNames}}<li data-check="{{key}}"><span class="check-name">{{label}}</span> <span class="check-outcome"></span><div class="check-detail"></div></li>{{/checkNames}}
          </ol>
        </section>
        {{^isNew}}{{#isOperator}}
        <form method="post" action="/tenants/{{tenant}}/servers/{{storedNameURL}}/delete" class="danger-zone">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <input type="hidden" name="expected_version" value="{{version}}">
          <button type="submit" class="danger" data-confirm="{{t.delete_confirm}}">{{t.delete_server}}</button>
        </form>
        {{/isOperator}}{{/isNew}}
        {{/main}}{{/layout}}
        """

    /// One secret: never its value, only whether it is set, since when, until when.
    static let secretField = """
        <label for="{{field}}"{{#shownFor}} data-shown-for="{{shownFor}}"{{/shownFor}}>{{label}}</label>
        <div class="secret"{{#shownFor}} data-shown-for="{{shownFor}}"{{/shownFor}}>
          <input id="{{field}}" name="{{field}}" type="password" autocomplete="new-password" spellcheck="false"
                 placeholder="{{#isSet}}{{t.secret_unchanged}}{{/isSet}}" aria-describedby="{{field}}-state">
          <small id="{{field}}-state" class="secret-state">{{state}}</small>
          {{#isSet}}<label class="inline-check"><input type="checkbox" name="clear_{{field}}" value="1"> {{t.clear_secret}}</label>{{/isSet}}
        </div>
        """
}
