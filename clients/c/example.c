/*
 * mailgate-example - a tiny command-line client built on mailgate.h.
 *
 *   mailgate-example [--host H] [--port P] [--key KEY] [--timeout-ms N]
 *                    check | whoami | raw METHOD
 *
 * Exit status: 0 = OK, 2 = the server answered with a non-OK status,
 * 1 = connection or protocol failure, 64 = bad usage.
 */
#include "mailgate.h"

#include "mailgate/v1/health.pb-c.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 7587
#define DEFAULT_TIMEOUT_MS 5000

#define EXIT_STATUS 2 /* the server answered with a non-OK status */
#define EXIT_USAGE 64

static const char synopsis[] =
    "usage: mailgate-example [--host H] [--port P] [--key KEY] [--timeout-ms N]\n"
    "                        check | whoami | raw METHOD\n";

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
            "  --host H        server host name or address (default " DEFAULT_HOST ")\n"
            "  --port P        server TCP port (default %d)\n"
            "  --key KEY       API key, sent as \"authorization: Bearer KEY\"\n"
            "                  (default: $MAILGATE_KEY, if set)\n"
            "  --timeout-ms N  call deadline in ms, 0 = server default (default %d)\n"
            "\n"
            "  check           /mailgate.v1.Health/Check; prints status=... version=...\n"
            "  whoami          /mailgate.v1.Health/WhoAmI; prints key_id=... scope=... tenant=...\n"
            "  raw METHOD      calls METHOD with an empty payload; prints the status\n"
            "\n"
            "exit: 0 OK, 2 non-OK status (\"error code=...\" on stdout), 1 connection or\n"
            "protocol failure (on stderr), 64 bad usage\n",
            DEFAULT_PORT, DEFAULT_TIMEOUT_MS);
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

/* Prints a non-OK status the documented way. */
static int print_status_error(const mg_reply *r)
{
    printf("error code=%d name=%s message=%s", r->code, mg_code_name(r->code), r->message);
    if (r->reason[0] != '\0')
        printf(" reason=%s", r->reason);
    putchar('\n');
    return EXIT_STATUS;
}

static const char *serving_status_name(int s)
{
    switch (s) {
    case MAILGATE__V1__CHECK_RESPONSE__SERVING_STATUS__SERVING_STATUS_UNSPECIFIED:
        return "UNSPECIFIED";
    case MAILGATE__V1__CHECK_RESPONSE__SERVING_STATUS__SERVING:
        return "SERVING";
    case MAILGATE__V1__CHECK_RESPONSE__SERVING_STATUS__DRAINING:
        return "DRAINING";
    default:
        return NULL;
    }
}

/*
 * Serializes a request message. An empty message serializes to zero bytes:
 * *buf is then NULL. Returns 0, or -1 when out of memory.
 */
static int pack_request(const ProtobufCMessage *msg, uint8_t **buf, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(msg);
    *buf = NULL;
    if (*len == 0)
        return 0;
    *buf = malloc(*len);
    if (*buf == NULL)
        return -1;
    protobuf_c_message_pack(msg, *buf);
    return 0;
}

int main(int argc, char **argv)
{
    const char *host = DEFAULT_HOST, *key = NULL, *cmd = NULL, *raw_method = NULL;
    const char *method;
    unsigned long port = DEFAULT_PORT, timeout_ms = DEFAULT_TIMEOUT_MS;
    Mailgate__V1__CheckRequest check_req = MAILGATE__V1__CHECK_REQUEST__INIT;
    Mailgate__V1__WhoAmIRequest whoami_req = MAILGATE__V1__WHO_AM_IREQUEST__INIT;
    uint8_t *req = NULL;
    size_t req_len = 0;
    char err[512];
    mg_client *c;
    mg_reply r;
    int i, rc, code = 0;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int m;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if ((m = opt_value(argc, argv, &i, "--host", &v)) != 0) {
            if (m < 0 || *v == '\0')
                goto bad_value;
            host = v;
        } else if ((m = opt_value(argc, argv, &i, "--port", &v)) != 0) {
            if (m < 0 || parse_num(v, 1, 65535, &port) != 0)
                goto bad_value;
        } else if ((m = opt_value(argc, argv, &i, "--key", &v)) != 0) {
            if (m < 0)
                goto bad_value;
            key = v;
        } else if ((m = opt_value(argc, argv, &i, "--timeout-ms", &v)) != 0) {
            if (m < 0 || parse_num(v, 0, 0xFFFFFFFFul, &timeout_ms) != 0)
                goto bad_value;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "mailgate-example: unknown option %s\n", a);
            return usage_error();
        } else if (cmd == NULL) {
            cmd = a;
        } else if (strcmp(cmd, "raw") == 0 && raw_method == NULL) {
            raw_method = a;
        } else {
            fprintf(stderr, "mailgate-example: unexpected argument %s\n", a);
            return usage_error();
        }
        continue;
    bad_value:
        fprintf(stderr, "mailgate-example: missing or invalid value for %s\n", a);
        return usage_error();
    }

    if (cmd == NULL) {
        return usage_error();
    }
    if (key == NULL) {
        key = getenv("MAILGATE_KEY");
        if (key != NULL && *key == '\0')
            key = NULL;
    }

    if (strcmp(cmd, "check") == 0) {
        method = "/mailgate.v1.Health/Check";
        rc = pack_request(&check_req.base, &req, &req_len);
    } else if (strcmp(cmd, "whoami") == 0) {
        method = "/mailgate.v1.Health/WhoAmI";
        rc = pack_request(&whoami_req.base, &req, &req_len);
    } else if (strcmp(cmd, "raw") == 0) {
        if (raw_method == NULL || *raw_method == '\0') {
            fprintf(stderr, "mailgate-example: raw needs a METHOD, e.g. /mailgate.v1.Health/Check\n");
            return usage_error();
        }
        method = raw_method;
        rc = 0; /* empty payload */
    } else {
        fprintf(stderr, "mailgate-example: unknown command %s\n", cmd);
        return usage_error();
    }
    if (rc != 0) {
        fprintf(stderr, "mailgate-example: out of memory\n");
        return 1;
    }

    c = mg_connect(host, (uint16_t)port, err, sizeof err);
    if (c == NULL) {
        free(req);
        fprintf(stderr, "mailgate-example: %s\n", err);
        return 1;
    }
    rc = mg_call(c, method, key, (uint32_t)timeout_ms, req, req_len, &r);
    free(req);
    if (rc != 0) {
        fprintf(stderr, "mailgate-example: %s failed: %s\n", method, mg_last_error(c));
        mg_close(c);
        return 1;
    }
    mg_close(c);

    if (r.code != MG_OK) {
        code = print_status_error(&r);
    } else if (strcmp(cmd, "check") == 0) {
        Mailgate__V1__CheckResponse *resp =
            mailgate__v1__check_response__unpack(NULL, r.payload_len, r.payload);
        if (resp == NULL) {
            fprintf(stderr, "mailgate-example: cannot parse the CheckResponse (%zu bytes)\n",
                    r.payload_len);
            code = 1;
        } else {
            const char *name = serving_status_name((int)resp->status);
            if (name != NULL)
                printf("status=%s version=%s\n", name, resp->server_version);
            else
                printf("status=%d version=%s\n", (int)resp->status, resp->server_version);
            mailgate__v1__check_response__free_unpacked(resp, NULL);
        }
    } else if (strcmp(cmd, "whoami") == 0) {
        Mailgate__V1__WhoAmIResponse *resp =
            mailgate__v1__who_am_iresponse__unpack(NULL, r.payload_len, r.payload);
        if (resp == NULL) {
            fprintf(stderr, "mailgate-example: cannot parse the WhoAmIResponse (%zu bytes)\n",
                    r.payload_len);
            code = 1;
        } else {
            printf("key_id=%s scope=%s tenant=%s\n", resp->key_id, resp->scope,
                   resp->tenant_slug);
            mailgate__v1__who_am_iresponse__free_unpacked(resp, NULL);
        }
    } else {
        printf("ok code=%d name=%s payload_bytes=%zu\n", r.code, mg_code_name(r.code),
               r.payload_len);
    }
    mg_reply_free(&r);

    if (fflush(stdout) != 0) {
        fprintf(stderr, "mailgate-example: writing the output failed\n");
        return 1;
    }
    return code;
}
