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
            fetch(base + "validate.json", {
              method: "POST",
              credentials: "same-origin",
              headers: { "X-CSRF-Token": csrfOf(form), "Content-Type": "application/x-www-form-urlencoded" },
              body: body.toString()
            }).then(function (response) {
              return response.json().then(function (json) { return { status: response.status, json: json }; });
            }).then(function (result) {
              var json = result.json;
              if (result.status !== 200) {
                summary.textContent = json.error || String(result.status);
                (json.violations || []).forEach(function (violation) {
                  summary.textContent += " · " + violation.field + ": " + violation.description;
                });
                checks.querySelectorAll("li").forEach(function (item) {
                  item.className = "";
                  item.querySelector(".check-outcome").textContent = "";
                });
                return;
              }
              summary.textContent = json.summary;
              summary.className = json.ok ? "good" : "bad";
              if (json.test_message_id) {
                var link = document.createElement("a");
                link.href = "/tenants/" + encodeURIComponent(tenant) + "/messages?id=" + encodeURIComponent(json.test_message_id);
                link.textContent = labels.message;
                summary.appendChild(document.createTextNode(" "));
                summary.appendChild(link);
              }
              (json.checks || []).forEach(function (check, index) {
                window.setTimeout(function () {
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
                }, index * 80);
              });
            }).catch(function (error) {
              summary.textContent = String(error);
            });
          });

          // Get refresh token: the provider's consent in a popup; the form learns the outcome
          // from the popup's message, or by asking while the popup is open.
          var consentButton = document.getElementById("get-refresh-token");
          var consentStatus = document.getElementById("consent-status");
          var refreshState = document.getElementById("refresh_token-state");
          var waiting = null;
          function refreshTokenState(done) {
            fetch(base + encodeURIComponent(serverName) + "/state.json", { credentials: "same-origin" })
              .then(function (response) { return response.json(); })
              .then(function (state) {
                if (refreshState) refreshState.textContent = state.refresh_token;
                var version = form.querySelector("input[name=expected_version]");
                if (version && state.version) version.value = state.version;
                if (done) done(state);
              });
          }
          function finishConsent(ok) {
            if (waiting) { window.clearInterval(waiting.timer); waiting = null; }
            consentButton.disabled = false;
            refreshTokenState(function (state) {
              var done = consentButton.dataset.done + (state.consent ? " " + state.consent : "");
              consentStatus.textContent = ok ? done : consentButton.dataset.failed;
            });
          }
          if (consentButton && serverName) {
            window.addEventListener("message", function (event) {
              if (event.origin !== window.location.origin || !event.data || event.data.type !== "mailgate-consent") return;
              finishConsent(event.data.ok);
            });
            consentButton.addEventListener("click", function () {
              consentButton.disabled = true;
              consentStatus.textContent = consentButton.dataset.waiting || "…";
              fetch(base + encodeURIComponent(serverName) + "/authorize.json", {
                method: "POST",
                credentials: "same-origin",
                headers: { "X-CSRF-Token": csrfOf(form) }
              }).then(function (response) {
                return response.json().then(function (json) { return { status: response.status, json: json }; });
              }).then(function (result) {
                if (result.status !== 200) {
                  consentStatus.textContent = result.json.error;
                  consentButton.disabled = false;
                  return;
                }
                var popup = window.open(result.json.url, "mailgate-consent", "popup,width=560,height=720");
                if (!popup) {
                  consentStatus.textContent = consentButton.dataset.blocked || result.json.url;
                  consentButton.disabled = false;
                  return;
                }
                var before = refreshState ? refreshState.textContent : "";
                waiting = {
                  timer: window.setInterval(function () {
                    refreshTokenState(function (state) {
                      if (refreshState && state.refresh_token !== before) finishConsent(true);
                      else if (popup.closed && waiting) finishConsent(false);
                    });
                  }, 2000)
                };
              });
            });
          }
        })();
        """#
}
