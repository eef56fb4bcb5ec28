/// The console's only script (served as `/static/console.js`; the CSP allows no other):
/// confirmations, the OAuth fields shown only for OAuth, Test connection, Get refresh token
/// and the consent popup's message back to the form.
enum ConsoleScript {
    static let source = #"""
        "use strict";
        (function () {
          function csrfOf(form) {
            var field = form.querySelector("input[name=csrf]");
            return field ? field.value : "";
          }

          // Buttons that ask first.
          document.addEventListener("click", function (event) {
            var button = event.target.closest("[data-confirm]");
            if (button && !window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
          });
          document.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
            input.addEventListener("focus", function () { input.select(); });
          });

          // The consent popup, back on this console: tell the form, then close. (No
          // Cross-Origin-Opener-Policy on the console: it would cut the popup from its opener
          // when it comes back from the provider's site.)
          var consent = document.getElementById("consent-result");
          if (consent) {
            if (window.opener && !window.opener.closed) {
              window.opener.postMessage(
                { type: "mailgate-consent", ok: consent.dataset.ok === "1", server: consent.dataset.server },
                window.location.origin
              );
            }
            if (consent.dataset.ok === "1") window.setTimeout(function () { window.close(); }, 1200);
            return;
          }

          var form = document.getElementById("server-form");
          if (!form) return;
          var tenant = form.dataset.tenant;
          var serverName = form.dataset.server;
          var base = "/tenants/" + encodeURIComponent(tenant) + "/servers/";

          // OAuth settings only when the server uses OAuth.
          var authType = document.getElementById("auth_type");
          function showAuthFields() {
            document.querySelectorAll("[data-shown-for]").forEach(function (section) {
              section.hidden = section.getAttribute("data-shown-for") !== authType.value;
            });
          }
          authType.addEventListener("change", showAuthFields);
          showAuthFields();

          // Test connection: ValidateServer on the form as it stands (edited: as a draft).
          var edited = false;
          form.addEventListener("input", function (event) {
            if (event.target.id !== "send_test_message") edited = true;
          });
          var panel = document.getElementById("test-panel");
          var checks = document.getElementById("test-checks");
          var summary = document.getElementById("test-summary");
          var labels = checks.dataset;
          document.getElementById("test-connection").addEventListener("click", function () {
            var body = new URLSearchParams(new FormData(form));
            if (document.getElementById("send_test_message").checked) body.set("send_test_message", "1");
            if (edited) body.set("edited", "1");
            panel.hidden = false;
            summary.textContent = labels.pending;
            checks.querySelectorAll("li").forEach(function (item) {
              item.className = "pending";
              item.querySelector(".check-outcome").textContent = labels.pending;
              item.querySelector(".check-detail").textContent = "";
            });
            document.getElementById("test-title").focus();
            function showCheck(check) {
              var item = checks.querySelector('li[data-check="' + check.name + '"]');
              if (!item) return;
              item.className = check.outcome;
              item.querySelector(".check-outcome").textContent = labels[check.outcome] || check.outcome;
              var detail = item.querySelector(".check-detail");
              detail.textContent = check.detail;
              if (check.remedy) {
                var remedy = document.createElement("p");
                remedy.className = "remedy";
                remedy.textContent = labels.remedy + " " + check.remedy;
                detail.appendChild(remedy);
              }
            }
            function showFailure(json) {
              summary.textContent = json.error || "";
              summary.className = "bad";
              (json.violations || []).forEach(function (violation) {
                summary.textContent += " · " + violation.field + ": " + violation.description;
              });
              checks.querySelectorAll("li.pending").forEach(function (item) {
                item.className = "";
                item.querySelector(".check-outcome").textContent = "";
              });
            }
            function showResult(json) {
              (json.checks || []).forEach(showCheck);
              summary.textContent = json.summary;
              summary.className = json.ok ? "good" : "bad";
              if (json.test_message_id) {
                var link = document.createElement("a");
                link.href = "/tenants/" + encodeURIComponent(tenant) + "/messages?id=" + encodeURIComponent(json.test_message_id);
                link.textContent = labels.message;
                summary.appendChild(document.createTextNode(" "));
                summary.appendChild(link);
              }
            }
            // One JSON object a line, as the checks complete: {"checks"}, then {"final"} or {"error"}.
            fetch("/tenants/" + encodeURIComponent(tenant) + "/server-validation.json", {
              method: "POST",
              credentials: "same-origin",
              headers: { "X-CSRF-Token": csrfOf(form), "Content-Type": "application/x-www-form-urlencoded" },
              body: body.toString()
            }).then(function (response) {
              if (!response.ok || !response.body) {
                return response.json().then(showFailure);
              }
              var reader = response.body.getReader();
              var decoder = new TextDecoder();
              var pending = "";
              function handle(line) {
                if (!line) return;
                var json = JSON.parse(line);
                if (json.checks) json.checks.forEach(showCheck);
                if (json.final) showResult(json.final);
                if (json.error) showFailure(json);
              }
              function read() {
                return reader.read().then(function (chunk) {
                  if (chunk.done) { handle(pending); return; }
                  pending += decoder.decode(chunk.value, { stream: true });
                  var lines = pending.split("\n");
                  pending = lines.pop();
                  lines.forEach(handle);
                  return read();
                });
              }
              return read();
            }).catch(function (error) {
              summary.textContent = String(error);
            });
          });

          // Get refresh token: the provider's consent in a popup; the form learns the outcome
          // from the popup's message, or by asking while the popup is open. A new or edited
          // form is saved first: a consent is for a stored server.
          var consentButton = document.getElementById("get-refresh-token");
          var consentStatus = document.getElementById("consent-status");
          var refreshState = document.getElementById("refresh_token-state");
          var waiting = null;
          function serverBase() { return base + encodeURIComponent(serverName); }
          function versionFields() {
            return document.querySelectorAll("input[name=expected_version]");
          }
          function refreshTokenState(done) {
            fetch(serverBase() + "/state.json", { credentials: "same-origin" })
              .then(function (response) { return response.json(); })
              .then(function (state) {
                if (refreshState) refreshState.textContent = state.refresh_token;
                if (done) done(state);
              });
          }
          function finishConsent(ok, versionBefore) {
            if (!waiting) return;
            window.clearInterval(waiting.timer);
            waiting = null;
            consentButton.disabled = false;
            refreshTokenState(function (state) {
              // The consent's own write, and nothing else since: the form stays current. Another
              // change meanwhile keeps the old version, so saving explains the conflict.
              if (ok && state.version === versionBefore + 1) {
                versionFields().forEach(function (field) { field.value = state.version; });
              }
              consentStatus.textContent = ok
                ? consentButton.dataset.done + (state.consent ? " " + state.consent : "")
                : consentButton.dataset.failed;
            });
          }
          function saveFirst() {
            if (serverName && !edited) return Promise.resolve();
            var body = new URLSearchParams(new FormData(form));
            return fetch("/tenants/" + encodeURIComponent(tenant) + "/server-save.json", {
              method: "POST",
              credentials: "same-origin",
              headers: { "X-CSRF-Token": csrfOf(form), "Content-Type": "application/x-www-form-urlencoded" },
              body: body.toString()
            }).then(function (response) {
              return response.json().then(function (json) {
                if (response.status !== 200) {
                  var text = json.error || String(response.status);
                  (json.violations || []).forEach(function (v) { text += " · " + v.field + ": " + v.description; });
                  throw new Error(text);
                }
                serverName = json.name;
                form.dataset.server = json.name;
                form.querySelector("input[name=stored_name]").value = json.name;
                document.getElementById("name").readOnly = true;
                versionFields().forEach(function (field) { field.value = json.version; });
                edited = false;
                window.history.replaceState(null, "", serverBase());
              });
            });
          }
          if (consentButton) {
            window.addEventListener("message", function (event) {
              if (event.origin !== window.location.origin || !event.data || event.data.type !== "mailgate-consent") return;
              finishConsent(event.data.ok, waiting ? waiting.version : 0);
            });
            consentButton.addEventListener("click", function () {
              consentButton.disabled = true;
              consentStatus.textContent = consentButton.dataset.waiting;
              saveFirst().then(function () {
                return fetch(serverBase() + "/authorize.json", {
                  method: "POST",
                  credentials: "same-origin",
                  headers: { "X-CSRF-Token": csrfOf(form) }
                });
              }).then(function (response) {
                return response.json().then(function (json) { return { status: response.status, json: json }; });
              }).then(function (result) {
                if (result.status !== 200) throw new Error(result.json.error);
                var popup = window.open(result.json.url, "mailgate-consent", "popup,width=560,height=720");
                if (!popup) throw new Error(consentButton.dataset.blocked);
                var before = refreshState ? refreshState.textContent : "";
                var version = Number(versionFields()[0].value);
                waiting = {
                  version: version,
                  timer: window.setInterval(function () {
                    refreshTokenState(function (state) {
                      if (state.refresh_token !== before) finishConsent(true, version);
                      else if (popup.closed) finishConsent(false, version);
                    });
                  }, 2000)
                };
              }).catch(function (error) {
                consentStatus.textContent = error.message;
                consentButton.disabled = false;
              });
            });
          }
        })();
        """#
}
