extension Templates {
    static let tenants = """
        {{<layout}}{{$main}}
        <h1>{{t.tenants_title}}</h1>
        <table class="list">
          <caption class="visually-hidden">{{t.tenants_title}}</caption>
          <thead><tr><th scope="col">{{t.tenant_slug}}</th><th scope="col">{{t.display_name}}</th><th scope="col">{{t.status}}</th><th scope="col">{{t.queued}}</th></tr></thead>
          <tbody>
          {{#tenants}}
          <tr>
            <td><a href="/tenants/{{slug}}/servers">{{slug}}</a></td>
            <td>{{displayName}}</td>
            <td><span class="pill {{statusClass}}">{{statusText}}</span> <a href="/tenants/{{slug}}">{{t.settings}}</a></td>
            <td>{{queued}}</td>
          </tr>
          {{/tenants}}
          {{^tenants}}<tr><td colspan="4">{{t.no_tenants}}</td></tr>{{/tenants}}
          </tbody>
        </table>
        <h2>{{t.create_tenant}}</h2>
        <form method="post" action="/tenants" class="grid">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="slug">{{t.tenant_slug}}</label>
          <input id="slug" name="slug" required pattern="[a-z0-9\\-]{3,63}" aria-describedby="slug-help">
          <small id="slug-help">{{t.tenant_slug_help}}</small>
          <label for="display_name">{{t.display_name}}</label>
          <input id="display_name" name="display_name" required>
          <label for="alert_contacts">{{t.alert_contacts}}</label>
          <input id="alert_contacts" name="alert_contacts" aria-describedby="contacts-help">
          <small id="contacts-help">{{t.alert_contacts_help}}</small>
          <button type="submit">{{t.create}}</button>
        </form>
        {{/main}}{{/layout}}
        """

    static let tenant = """
        {{<layout}}{{$main}}
        <h1>{{t.tenant}} {{slug}}</h1>
        <p><span class="pill {{statusClass}}">{{statusText}}</span></p>
        <section>
        <h2>{{t.settings}}</h2>
        <form method="post" action="/tenants/{{slug}}/settings" class="grid">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="display_name">{{t.display_name}}</label>
          <input id="display_name" name="display_name" value="{{displayName}}" {{^isOperator}}readonly{{/isOperator}}>
          <label for="alert_contacts">{{t.alert_contacts}}</label>
          <input id="alert_contacts" name="alert_contacts" value="{{alertContacts}}" aria-describedby="contacts-help" {{^isOperator}}readonly{{/isOperator}}>
          <small id="contacts-help">{{t.alert_contacts_help}}</small>
          <label for="warning_days">{{t.warning_days}}</label>
          <input id="warning_days" name="warning_days" value="{{warningDays}}" aria-describedby="days-help" {{^isOperator}}readonly{{/isOperator}}>
          <small id="days-help">{{t.warning_days_help}}</small>
          {{#isOperator}}<button type="submit">{{t.save}}</button>{{/isOperator}}
        </form>
        {{#isOperator}}
        <form method="post" action="/tenants/{{slug}}/status" class="inline">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <input type="hidden" name="status" value="{{toggleStatus}}">
          <button type="submit" class="{{toggleClass}}">{{toggleText}}</button>
        </form>
        {{/isOperator}}
        </section>
        <section>
        <h2>{{t.api_keys}}</h2>
        <table class="list">
          <thead><tr><th scope="col">{{t.key_id}}</th><th scope="col">{{t.description}}</th><th scope="col">{{t.created}}</th><th scope="col">{{t.last_used}}</th><th scope="col"><span class="visually-hidden">{{t.actions}}</span></th></tr></thead>
          <tbody>
          {{#keys}}
          <tr>
            <td><code>{{id}}</code></td><td>{{description}}</td><td>{{created}}</td><td>{{lastUsed}}</td>
            <td>{{#revoked}}<span class="pill off">{{t.revoked}}</span>{{/revoked}}{{^revoked}}{{#isOperator}}
              <form method="post" action="/tenants/{{slug}}/keys/{{id}}/revoke" class="inline">
                <input type="hidden" name="csrf" value="{{csrf}}">
                <button type="submit" class="danger" data-confirm="{{t.revoke_confirm}}">{{t.revoke}}</button>
              </form>{{/isOperator}}{{/revoked}}</td>
          </tr>
          {{/keys}}
          {{^keys}}<tr><td colspan="5">{{t.no_keys}}</td></tr>{{/keys}}
          </tbody>
        </table>
        {{#isOperator}}
        <form method="post" action="/tenants/{{slug}}/keys" class="inline">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="key_description">{{t.description}}</label>
          <input id="key_description" name="description">
          <button type="submit">{{t.create_key}}</button>
        </form>
        {{/isOperator}}
        </section>
        {{/main}}{{/layout}}
        """

    static let keyCreated = """
        {{<layout}}{{$main}}
        <h1>{{t.key_created}}</h1>
        <p>{{t.key_created_help}}</p>
        <p><label for="secret">{{t.api_key}}</label>
        <input id="secret" class="secret-once" value="{{secret}}" readonly data-select-on-focus></p>
        <p><a href="/tenants/{{slug}}">{{t.done}}</a></p>
        {{/main}}{{/layout}}
        """
}
