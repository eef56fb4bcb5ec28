/// Every template, by the name pages render them with. Templates hold markup only: each
/// string comes from the catalogue (`{{t.key}}`) or from the page's data.
enum Templates {
    static let all: [(String, String)] = [
        ("layout", layout),
        ("problem", problem),
        ("sign-in", signIn),
        ("callback", callback),
        ("tenants", tenants),
        ("tenant", tenant),
        ("key-created", keyCreated),
        ("servers", servers),
        ("server-form", serverForm),
        ("secret-field", secretField),
        ("import", importSheet),
        ("events", events),
        ("expiring", expiring),
        ("message", message),
    ]

    static let layout = """
        <!doctype html>
        <html lang="{{lang}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Mailgate</title>
        <link rel="stylesheet" href="/static/console.css">
        <script src="/static/console.js" defer></script>
        </head>
        <body>
        <a class="skip" href="#main">{{t.skip_to_content}}</a>
        <header class="top">
          <a class="brand" href="/">Mailgate</a>
          {{#signedIn}}
          <nav aria-label="{{t.nav_label}}">
            <ul>
              {{#isOperator}}<li><a href="/tenants">{{t.nav_tenants}}</a></li>{{/isOperator}}
              {{#tenant}}
              <li><a href="/tenants/{{tenant}}/servers">{{t.nav_servers}}</a></li>
              <li><a href="/tenants/{{tenant}}/events">{{t.nav_events}}{{#unread}} <span class="badge" id="unread-count">{{unread}}<span class="visually-hidden"> {{t.unread}}</span></span>{{/unread}}</a></li>
              <li><a href="/tenants/{{tenant}}/messages">{{t.nav_messages}}</a></li>
              {{/tenant}}
              <li><a href="/expiring">{{t.nav_expiring}}</a></li>
            </ul>
          </nav>
          {{/signedIn}}
          <div class="tools">
            <ul class="languages" aria-label="{{t.language}}">
              {{#languages}}<li><a href="{{href}}" lang="{{code}}" hreflang="{{code}}"{{#current}} aria-current="true"{{/current}}>{{name}}</a></li>{{/languages}}
            </ul>
            {{#signedIn}}
            <span class="who">{{t.signed_in_as}} <code>{{keyID}}</code></span>
            <form method="post" action="/sign-out" class="inline">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <button type="submit" class="link">{{t.sign_out}}</button>
            </form>
            {{/signedIn}}
          </div>
        </header>
        <main id="main" tabindex="-1">
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        {{#error}}<div class="error" role="alert"><p>{{error}}</p>{{#violations.0}}<ul>{{#violations}}<li><strong>{{field}}</strong>: {{description}}</li>{{/violations}}</ul>{{/violations.0}}</div>{{/error}}
        {{$main}}{{/main}}
        </main>
        </body>
        </html>
        """

    static let problem = """
        {{<layout}}{{$main}}
        <h1>{{title}}</h1>
        {{#detail}}<p>{{detail}}</p>{{/detail}}
        <p><a href="/">{{t.back_home}}</a></p>
        {{/main}}{{/layout}}
        """

    static let signIn = """
        {{<layout}}{{$main}}
        <section class="narrow">
        <h1>{{t.sign_in_title}}</h1>
        <p>{{t.sign_in_help}}</p>
        <form method="post" action="/sign-in" class="stack">
          <input type="hidden" name="csrf" value="{{signInToken}}">
          <input type="hidden" name="next" value="{{next}}">
          <label for="key">{{t.api_key}}</label>
          <input id="key" name="key" type="password" autocomplete="off" required autofocus spellcheck="false">
          <button type="submit">{{t.sign_in}}</button>
        </form>
        </section>
        {{/main}}{{/layout}}
        """

    static let callback = """
        {{<layout}}{{$main}}
        <section class="narrow" id="consent-result" data-ok="{{ok}}" data-server="{{server}}">
        <h1>{{heading}}</h1>
        <p>{{text}}</p>
        <p>{{t.window_closes}}</p>
        </section>
        {{/main}}{{/layout}}
        """
}
