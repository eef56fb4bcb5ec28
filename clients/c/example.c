/*
 * mailgate-example - a small command-line client built on mailgate.h.
 *
 *   mailgate-example [options] check | whoami | raw METHOD
 *                    | send --to ADDR [--to ADDR...] [--subject S] [--text BODY] ...
 *                    | get MESSAGE_ID | wait MESSAGE_ID
 *                    | validate SERVER | refresh SERVER
 *
 * Exit status: 0 = OK, 2 = the call failed with a status ("error code=..." on
 * stdout), 1 = connection, TLS or protocol failure (on stderr), 64 = bad usage.
 */
#include "mailgate.h"

#include "mailgate/v1/health.pb-c.h"
#include "mailgate/v1/mailer.pb-c.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 7587
#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_WAIT_MS 60000
#define MAX_RECIPIENTS 64

#define EXIT_FAILURE_IO 1 /* connection, TLS or protocol failure */
#define EXIT_STATUS 2     /* the call ended with a non-OK status */
#define EXIT_USAGE 64

static const char synopsis[] =
    "usage: mailgate-example [--host H] [--port P] [--key KEY] [--timeout-ms N]\n"
    "                        [--tls] [--ca-file FILE] [--server-name NAME]\n"
    "                        [--client-cert FILE] [--client-key FILE]\n"
    "                        check | whoami | raw METHOD\n"
    "                        | send --to ADDR [--to ADDR]... [--server S] [--subject S]\n"
    "                               [--text BODY] [--reply-to ADDR] [--idempotency-key K]\n"
    "                        | get MESSAGE_ID | wait [--wait-ms N] MESSAGE_ID\n"
    "                        | validate [--tenant T] [--no-test-message]\n"
    "                                   [--test-recipient ADDR] SERVER\n"
    "                        | refresh [--tenant T] SERVER\n";

/* For usage errors: the synopsis only. */
static int usage_error(void)
{
    fprintf(stderr, "%s(mailgate-example --help explains)\n", synopsis);
    return EXIT_USAGE;
}

static void usage(FILE *to)
{
    fputs(synopsis, to);
    fprintf(to,
            "\n"
            "  --host H            server host name or address (default " DEFAULT_HOST ")\n"
            "  --port P            server TCP port (default %d)\n"
            "  --key KEY           API key, sent as \"authorization: Bearer KEY\"\n"
            "                      (default: $MAILGATE_KEY, if set)\n"
            "  --timeout-ms N      each call's deadline in ms, also the limit for connecting;\n"
            "                      0 = server default (default %d)\n"
            "  --tls               speak TLS, verifying the server's certificate against the\n"
            "                      system's CAs and its name\n"
            "  --ca-file FILE      trust the CAs in this PEM file instead (implies --tls)\n"
            "  --server-name NAME  the name (or IP) the certificate must be valid for\n"
            "                      (default: --host; implies --tls)\n"
            "  --client-cert FILE  a client certificate (PEM) for a proxy that asks for one\n"
            "  --client-key FILE   its key (default: in --client-cert)\n"
            "\n"
            "  check               Health/Check; prints status=... version=...\n"
            "  whoami              Health/WhoAmI; prints key_id=... scope=... tenant=...\n"
            "  raw METHOD          calls METHOD with an empty payload; prints the status\n"
            "  send                Mailer/SendMail; prints message_id=... state=...\n"
            "                      (the From address is the output server's: --server picks\n"
            "                      it, default the tenant's default server)\n"
            "  get MESSAGE_ID      Mailer/GetMessage; prints message_id=... state=... attempts=...\n"
            "  wait MESSAGE_ID     polls GetMessage until SENT, FAILED or CANCELLED (at most\n"
            "                      --wait-ms, default %d) and prints it like get\n"
            "  validate SERVER     Mailer/ValidateServer; prints ok=... summary=..., then a\n"
            "                      check line per step\n"
            "  refresh SERVER      Mailer/RefreshToken; prints refreshed expires_at=... ...\n"
            "\n"
            "exit: 0 OK, 2 the call failed with a status (\"error code=N name=X reason=R\n"
            "message=M\" on stdout, then a \"field_violation field=F description=D\" line per\n"
            "invalid field), 1 connection, TLS or protocol failure (on stderr), 64 bad usage\n",
            DEFAULT_PORT, DEFAULT_TIMEOUT_MS, DEFAULT_WAIT_MS);
}

/* Parses a decimal number in [min, max]. Returns 0 or -1. */
static int parse_num(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/*
 * Matches "--name VALUE" or "--name=VALUE" at argv[*i]. Returns 1 with *val
 * set (and *i advanced past a separate value), 0 if it is another argument,
 * -1 if the value is missing.
 */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *val = argv[++*i];
    return 1;
}

/*
 * Reports a failed typed call: a connection failure on stderr (exit 1), any
 * status on stdout (exit 2). Frees err.
 */
static int report_error(mg_error *err)
{
    size_t i;
    int code;
    if (!err->from_server && strcmp(err->reason != NULL ? err->reason : "", "CONNECTION_LOST") == 0) {
        fprintf(stderr, "mailgate-example: %s\n", err->message != NULL ? err->message : "failed");
        mg_error_free(err);
        return EXIT_FAILURE_IO;
    }
    printf("error code=%d name=%s", err->code, err->name);
    if (err->reason != NULL && err->reason[0] != '\0')
        printf(" reason=%s", err->reason);
    if (err->retry_after_ms > 0)
        printf(" retry_after_ms=%llu", (unsigned long long)err->retry_after_ms);
    printf(" message=%s\n", err->message != NULL ? err->message : "");
    for (i = 0; i < err->n_violations; i++)
        printf("field_violation field=%s description=%s\n", err->violations[i].field,
               err->violations[i].description);
    code = EXIT_STATUS;
    mg_error_free(err);
    return code;
}

static const char *serving_status_name(int s)
{
    switch (s) {
    case MAILGATE__V1__CHECK_RESPONSE__SERVING_STATUS__SERVING:
        return "SERVING";
    case MAILGATE__V1__CHECK_RESPONSE__SERVING_STATUS__DRAINING:
        return "DRAINING";
    default:
        return "UNSPECIFIED";
    }
}

static const char *outcome_name(int o)
{
    switch (o) {
    case MAILGATE__V1__CHECK_OUTCOME__CHECK_OUTCOME_OK:
        return "OK";
    case MAILGATE__V1__CHECK_OUTCOME__CHECK_OUTCOME_FAILED:
        return "FAILED";
    case MAILGATE__V1__CHECK_OUTCOME__CHECK_OUTCOME_SKIPPED:
        return "SKIPPED";
    case MAILGATE__V1__CHECK_OUTCOME__CHECK_OUTCOME_WARNING:
        return "WARNING";
    default:
        return "UNSPECIFIED";
    }
}

static void print_message(const Mailgate__V1__GetMessageResponse *m)
{
    printf("message_id=%s state=%s attempts=%u", m->message_id,
           mg_message_state_name((int)m->state), (unsigned)m->attempts);
    if (m->last_error[0] != '\0')
        printf(" last_error=%s", m->last_error);
    putchar('\n');
}

/* Everything the command line says. */
struct args {
    const char *host, *key, *cmd, *operand;
    unsigned long port, timeout_ms, wait_ms;
    mg_options opts;
    /* send */
    const char *to[MAX_RECIPIENTS];
    size_t n_to;
    const char *server, *subject, *text, *reply_to, *idempotency_key;
    /* validate, refresh */
    const char *tenant, *test_recipient;
    int no_test_message;
};

/* The raw call: METHOD with an empty payload. */
static int cmd_raw(mg_client *c, const struct args *a)
{
    mg_reply r;
    int code = 0;
    if (mg_call(c, a->operand, a->key, (uint32_t)a->timeout_ms, NULL, 0, &r) != 0) {
        fprintf(stderr, "mailgate-example: %s failed: %s\n", a->operand, mg_last_error(c));
        return EXIT_FAILURE_IO;
    }
    if (r.code != MG_OK) {
        printf("error code=%d name=%s", r.code, mg_code_name(r.code));
        if (r.reason[0] != '\0')
            printf(" reason=%s", r.reason);
        printf(" message=%s\n", r.message);
        code = EXIT_STATUS;
    } else {
        printf("ok code=%d name=%s payload_bytes=%zu\n", r.code, mg_code_name(r.code),
               r.payload_len);
    }
    mg_reply_free(&r);
    return code;
}

static int cmd_send(mg_client *c, const struct args *a)
{
    Mailgate__V1__SendMailRequest req = MAILGATE__V1__SEND_MAIL_REQUEST__INIT;
    Mailgate__V1__EmailAddress to[MAX_RECIPIENTS];
    Mailgate__V1__EmailAddress *to_ptrs[MAX_RECIPIENTS];
    Mailgate__V1__EmailAddress reply_to = MAILGATE__V1__EMAIL_ADDRESS__INIT;
    Mailgate__V1__SendMailResponse *resp = NULL;
    mg_error err;
    size_t i;

    for (i = 0; i < a->n_to; i++) {
        Mailgate__V1__EmailAddress init = MAILGATE__V1__EMAIL_ADDRESS__INIT;
        to[i] = init;
        to[i].address = (char *)a->to[i];
        to_ptrs[i] = &to[i];
    }
    req.n_to = a->n_to;
    req.to = a->n_to > 0 ? to_ptrs : NULL;
    if (a->server != NULL)
        req.server = (char *)a->server;
    if (a->subject != NULL)
        req.subject = (char *)a->subject;
    if (a->text != NULL)
        req.text_body = (char *)a->text;
    if (a->idempotency_key != NULL)
        req.idempotency_key = (char *)a->idempotency_key;
    if (a->reply_to != NULL) {
        reply_to.address = (char *)a->reply_to;
        req.reply_to = &reply_to;
    }
    if (mg_send_mail(c, a->key, (uint32_t)a->timeout_ms, &req, &resp, &err) != 0)
        return report_error(&err);
    printf("message_id=%s state=%s\n", resp->message_id, mg_message_state_name((int)resp->state));
    mailgate__v1__send_mail_response__free_unpacked(resp, NULL);
    return 0;
}

static int cmd_get(mg_client *c, const struct args *a)
{
    Mailgate__V1__GetMessageRequest req = MAILGATE__V1__GET_MESSAGE_REQUEST__INIT;
    Mailgate__V1__GetMessageResponse *resp = NULL;
    mg_error err;
    req.message_id = (char *)a->operand;
    if (mg_get_message(c, a->key, (uint32_t)a->timeout_ms, &req, &resp, &err) != 0)
        return report_error(&err);
    print_message(resp);
    mailgate__v1__get_message_response__free_unpacked(resp, NULL);
    return 0;
}

static int cmd_wait(mg_client *c, const struct args *a)
{
    Mailgate__V1__GetMessageResponse *resp = NULL;
    mg_error err;
    if (mg_wait_message(c, a->key, a->operand, (uint32_t)a->wait_ms, (uint32_t)a->timeout_ms,
                        &resp, &err) != 0)
        return report_error(&err);
    print_message(resp);
    mailgate__v1__get_message_response__free_unpacked(resp, NULL);
    return 0;
}

static int cmd_validate(mg_client *c, const struct args *a)
{
    Mailgate__V1__ValidateServerRequest req = MAILGATE__V1__VALIDATE_SERVER_REQUEST__INIT;
    Mailgate__V1__ValidateServerResponse *resp = NULL;
    mg_error err;
    size_t i;
    req.server = (char *)a->operand;
    if (a->tenant != NULL)
        req.tenant = (char *)a->tenant;
    if (a->test_recipient != NULL)
        req.test_recipient = (char *)a->test_recipient;
    if (a->no_test_message) {
        req._send_test_message_case =
            MAILGATE__V1__VALIDATE_SERVER_REQUEST___SEND_TEST_MESSAGE_SEND_TEST_MESSAGE;
        req.send_test_message = 0;
    }
    if (mg_validate_server(c, a->key, (uint32_t)a->timeout_ms, &req, &resp, &err) != 0)
        return report_error(&err);
    printf("ok=%s summary=%s", resp->ok ? "true" : "false", resp->summary);
    if (resp->test_message_id[0] != '\0')
        printf(" test_message_id=%s", resp->test_message_id);
    putchar('\n');
    for (i = 0; i < resp->n_checks; i++) {
        const Mailgate__V1__ValidationCheck *k = resp->checks[i];
        printf("check name=%s outcome=%s", k->name, outcome_name((int)k->outcome));
        if (k->reason[0] != '\0')
            printf(" reason=%s", k->reason);
        if (k->detail[0] != '\0')
            printf(" detail=%s", k->detail);
        putchar('\n');
    }
    mailgate__v1__validate_server_response__free_unpacked(resp, NULL);
    return 0;
}

static int cmd_refresh(mg_client *c, const struct args *a)
{
    Mailgate__V1__RefreshTokenRequest req = MAILGATE__V1__REFRESH_TOKEN_REQUEST__INIT;
    Mailgate__V1__RefreshTokenResponse *resp = NULL;
    mg_error err;
    size_t i;
    req.server = (char *)a->operand;
    if (a->tenant != NULL)
        req.tenant = (char *)a->tenant;
    if (mg_refresh_token(c, a->key, (uint32_t)a->timeout_ms, &req, &resp, &err) != 0)
        return report_error(&err);
    printf("refreshed expires_at=%lld rotated=%s scopes=",
           resp->access_token_expires_at != NULL
               ? (long long)resp->access_token_expires_at->seconds
               : 0LL,
           resp->refresh_token_rotated ? "yes" : "no");
    for (i = 0; i < resp->n_scopes; i++)
        printf("%s%s", i > 0 ? "," : "", resp->scopes[i]);
    putchar('\n');
    mailgate__v1__refresh_token_response__free_unpacked(resp, NULL);
    return 0;
}

int main(int argc, char **argv)
{
    struct args a;
    char err[512];
    mg_client *c;
    mg_error e;
    int i, code;

    memset(&a, 0, sizeof a);
    a.host = DEFAULT_HOST;
    a.port = DEFAULT_PORT;
    a.timeout_ms = DEFAULT_TIMEOUT_MS;
    a.wait_ms = DEFAULT_WAIT_MS;

    for (i = 1; i < argc; i++) {
        const char *arg = argv[i], *v = NULL;
        int m;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if ((m = opt_value(argc, argv, &i, "--host", &v)) != 0) {
            if (m < 0 || *v == '\0')
                goto bad_value;
            a.host = v;
        } else if ((m = opt_value(argc, argv, &i, "--port", &v)) != 0) {
            if (m < 0 || parse_num(v, 1, 65535, &a.port) != 0)
                goto bad_value;
        } else if ((m = opt_value(argc, argv, &i, "--key", &v)) != 0) {
            if (m < 0)
                goto bad_value;
            a.key = v;
        } else if ((m = opt_value(argc, argv, &i, "--timeout-ms", &v)) != 0) {
            if (m < 0 || parse_num(v, 0, 0xFFFFFFFFul, &a.timeout_ms) != 0)
                goto bad_value;
        } else if ((m = opt_value(argc, argv, &i, "--wait-ms", &v)) != 0) {
            if (m < 0 || parse_num(v, 0, 0xFFFFFFFFul, &a.wait_ms) != 0)
                goto bad_value;
        } else if (strcmp(arg, "--tls") == 0) {
            a.opts.tls = 1;
        } else if ((m = opt_value(argc, argv, &i, "--ca-file", &v)) != 0) {
            if (m < 0 || *v == '\0')
                goto bad_value;
            a.opts.tls = 1;
            a.opts.ca_file = v;
        } else if ((m = opt_value(argc, argv, &i, "--server-name", &v)) != 0) {
            if (m < 0 || *v == '\0')
                goto bad_value;
            a.opts.tls = 1;
            a.opts.server_name = v;
        } else if ((m = opt_value(argc, argv, &i, "--client-cert", &v)) != 0) {
            if (m < 0 || *v == '\0')
                goto bad_value;
            a.opts.tls = 1;
            a.opts.cert_file = v;
        } else if ((m = opt_value(argc, argv, &i, "--client-key", &v)) != 0) {
            if (m < 0 || *v == '\0')
                goto bad_value;
            a.opts.key_file = v;
        } else if ((m = opt_value(argc, argv, &i, "--to", &v)) != 0) {
            if (m < 0)
                goto bad_value;
            if (a.n_to == MAX_RECIPIENTS) {
                fprintf(stderr, "mailgate-example: at most %d --to\n", MAX_RECIPIENTS);
                return usage_error();
            }
            a.to[a.n_to++] = v;
        } else if ((m = opt_value(argc, argv, &i, "--server", &v)) != 0) {
            if (m < 0)
                goto bad_value;
            a.server = v;
        } else if ((m = opt_value(argc, argv, &i, "--subject", &v)) != 0) {
            if (m < 0)
                goto bad_value;
            a.subject = v;
        } else if ((m = opt_value(argc, argv, &i, "--text", &v)) != 0) {
            if (m < 0)
                goto bad_value;
            a.text = v;
        } else if ((m = opt_value(argc, argv, &i, "--reply-to", &v)) != 0) {
            if (m < 0)
                goto bad_value;
            a.reply_to = v;
        } else if ((m = opt_value(argc, argv, &i, "--idempotency-key", &v)) != 0) {
            if (m < 0)
                goto bad_value;
            a.idempotency_key = v;
        } else if ((m = opt_value(argc, argv, &i, "--tenant", &v)) != 0) {
            if (m < 0)
                goto bad_value;
            a.tenant = v;
        } else if ((m = opt_value(argc, argv, &i, "--test-recipient", &v)) != 0) {
            if (m < 0)
                goto bad_value;
            a.test_recipient = v;
        } else if (strcmp(arg, "--no-test-message") == 0) {
            a.no_test_message = 1;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, "mailgate-example: unknown option %s\n", arg);
            return usage_error();
        } else if (a.cmd == NULL) {
            a.cmd = arg;
        } else if (a.operand == NULL &&
                   (strcmp(a.cmd, "raw") == 0 || strcmp(a.cmd, "get") == 0 ||
                    strcmp(a.cmd, "wait") == 0 || strcmp(a.cmd, "validate") == 0 ||
                    strcmp(a.cmd, "refresh") == 0)) {
            a.operand = arg;
        } else {
            fprintf(stderr, "mailgate-example: unexpected argument %s\n", arg);
            return usage_error();
        }
        continue;
    bad_value:
        fprintf(stderr, "mailgate-example: missing or invalid value for %s\n", arg);
        return usage_error();
    }

    if (a.cmd == NULL)
        return usage_error();
    if (strcmp(a.cmd, "check") != 0 && strcmp(a.cmd, "whoami") != 0 &&
        strcmp(a.cmd, "raw") != 0 && strcmp(a.cmd, "send") != 0 && strcmp(a.cmd, "get") != 0 &&
        strcmp(a.cmd, "wait") != 0 && strcmp(a.cmd, "validate") != 0 &&
        strcmp(a.cmd, "refresh") != 0) {
        fprintf(stderr, "mailgate-example: unknown command %s\n", a.cmd);
        return usage_error();
    }
    if (a.operand == NULL && strcmp(a.cmd, "check") != 0 && strcmp(a.cmd, "whoami") != 0 &&
        strcmp(a.cmd, "send") != 0) {
        fprintf(stderr, "mailgate-example: %s needs %s\n", a.cmd,
                strcmp(a.cmd, "raw") == 0 ? "a METHOD, e.g. /mailgate.v1.Health/Check"
                : strcmp(a.cmd, "get") == 0 || strcmp(a.cmd, "wait") == 0 ? "a MESSAGE_ID"
                                                                           : "a SERVER");
        return usage_error();
    }
    if (a.operand != NULL && *a.operand == '\0') {
        fprintf(stderr, "mailgate-example: %s needs a non-empty argument\n", a.cmd);
        return usage_error();
    }
    if (strcmp(a.cmd, "send") == 0 && a.n_to == 0) {
        fprintf(stderr, "mailgate-example: send needs at least one --to\n");
        return usage_error();
    }
    if (a.key == NULL) {
        a.key = getenv("MAILGATE_KEY");
        if (a.key != NULL && *a.key == '\0')
            a.key = NULL;
    }

    a.opts.connect_timeout_ms = (uint32_t)a.timeout_ms;
    c = mg_connect_with(a.host, (uint16_t)a.port, &a.opts, err, sizeof err);
    if (c == NULL) {
        fprintf(stderr, "mailgate-example: %s\n", err);
        return EXIT_FAILURE_IO;
    }

    code = 0;
    if (strcmp(a.cmd, "check") == 0) {
        Mailgate__V1__CheckResponse *resp = NULL;
        if (mg_check(c, (uint32_t)a.timeout_ms, &resp, &e) != 0) {
            code = report_error(&e);
        } else {
            printf("status=%s version=%s\n", serving_status_name((int)resp->status),
                   resp->server_version);
            mailgate__v1__check_response__free_unpacked(resp, NULL);
        }
    } else if (strcmp(a.cmd, "whoami") == 0) {
        Mailgate__V1__WhoAmIResponse *resp = NULL;
        if (mg_whoami(c, a.key, (uint32_t)a.timeout_ms, &resp, &e) != 0) {
            code = report_error(&e);
        } else {
            printf("key_id=%s scope=%s tenant=%s\n", resp->key_id, resp->scope,
                   resp->tenant_slug);
            mailgate__v1__who_am_iresponse__free_unpacked(resp, NULL);
        }
    } else if (strcmp(a.cmd, "raw") == 0) {
        code = cmd_raw(c, &a);
    } else if (strcmp(a.cmd, "send") == 0) {
        code = cmd_send(c, &a);
    } else if (strcmp(a.cmd, "get") == 0) {
        code = cmd_get(c, &a);
    } else if (strcmp(a.cmd, "wait") == 0) {
        code = cmd_wait(c, &a);
    } else if (strcmp(a.cmd, "validate") == 0) {
        code = cmd_validate(c, &a);
    } else {
        code = cmd_refresh(c, &a);
    }
    mg_close(c);

    if (fflush(stdout) != 0) {
        fprintf(stderr, "mailgate-example: writing the output failed\n");
        return EXIT_FAILURE_IO;
    }
    return code;
}
