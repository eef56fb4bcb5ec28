/*
 * mailgate.c - a small C99 client for the Mailgate RPC protocol. See mailgate.h.
 */
#define _POSIX_C_SOURCE 200809L
#define _DARWIN_C_SOURCE /* SO_NOSIGPIPE on macOS; harmless elsewhere */

#include "mailgate.h"

#include "mailgate/v1/rpc.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* SO_NOSIGPIPE is used instead where it exists */
#endif

struct mg_client {
    int fd;
    uint64_t next_call_id;
    int broken;     /* the byte stream is unusable: no more calls */
    int going_away; /* the server sent GoAway: no new calls */
    char err[512];
};

/* Results of the low-level I/O helpers. */
enum { IO_OK = 0, IO_ERR = -1, IO_EOF = -2, IO_TIMEOUT = -3 };

/* ------------------------------------------------------------------ */
/* small helpers                                                       */

static void set_err(mg_client *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
}

static void put_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Like strdup, but NULL becomes "". Returns NULL only when out of memory. */
static char *dup_str(const char *s)
{
    size_t n;
    char *p;
    if (s == NULL)
        s = "";
    n = strlen(s) + 1;
    p = malloc(n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

/* Milliseconds on a monotonic clock. */
static int64_t now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Waits until fd is ready for `events` or the deadline (monotonic ms; < 0 =
 * none) passes. Returns IO_OK, IO_TIMEOUT or IO_ERR (errno set).
 */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        struct pollfd p;
        int timeout = -1, r;
        if (deadline >= 0) {
            int64_t left = deadline - now_ms();
            if (left <= 0)
                return IO_TIMEOUT;
            timeout = left > INT_MAX ? INT_MAX : (int)left;
        }
        p.fd = fd;
        p.events = events;
        p.revents = 0;
        r = poll(&p, 1, timeout);
        if (r > 0)
            return IO_OK; /* readable, writable, or error/hangup: the next I/O tells */
        if (r == 0)
            continue; /* re-check the deadline */
        if (errno != EINTR)
            return IO_ERR;
    }
}

/*
 * Reads exactly n bytes. *got counts the bytes read so far (also on failure).
 * Returns IO_OK, IO_EOF (peer closed), IO_TIMEOUT or IO_ERR (errno set).
 */
static int read_full(int fd, uint8_t *buf, size_t n, int64_t deadline, size_t *got)
{
    *got = 0;
    while (*got < n) {
        ssize_t r;
        if (deadline >= 0) {
            int w = wait_fd(fd, POLLIN, deadline);
            if (w != IO_OK)
                return w;
        }
        r = recv(fd, buf + *got, n - *got, 0);
        if (r > 0) {
            *got += (size_t)r;
        } else if (r == 0) {
            return IO_EOF;
        } else if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
            continue;
        } else {
            return IO_ERR;
        }
    }
    return IO_OK;
}

/* Writes exactly n bytes. Returns IO_OK, IO_TIMEOUT or IO_ERR (errno set). */
static int write_full(int fd, const uint8_t *buf, size_t n, int64_t deadline)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r;
        if (deadline >= 0) {
            int w = wait_fd(fd, POLLOUT, deadline);
            if (w != IO_OK)
                return w;
        }
        r = send(fd, buf + done, n - done, MSG_NOSIGNAL);
        if (r >= 0) {
            done += (size_t)r;
        } else if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
            continue;
        } else {
            return IO_ERR;
        }
    }
    return IO_OK;
}

/* ------------------------------------------------------------------ */
/* framing                                                             */

/*
 * Serializes f and writes it as one length-prefixed frame. Returns 0 or -1
 * (c->err set; c->broken set when bytes may have been written).
 */
static int send_frame(mg_client *c, const Mailgate__V1__Frame *f, int64_t deadline)
{
    size_t len = mailgate__v1__frame__get_packed_size(f);
    uint8_t *buf;
    int rc;

    if (len == 0 || len > MG_MAX_FRAME_BYTES) {
        set_err(c, "outgoing frame of %zu bytes is outside 1..%u bytes", len,
                (unsigned)MG_MAX_FRAME_BYTES);
        return -1;
    }
    buf = malloc(4 + len);
    if (buf == NULL) {
        set_err(c, "out of memory for a %zu-byte frame", len);
        return -1;
    }
    buf[0] = (uint8_t)(len >> 24);
    buf[1] = (uint8_t)(len >> 16);
    buf[2] = (uint8_t)(len >> 8);
    buf[3] = (uint8_t)len;
    mailgate__v1__frame__pack(f, buf + 4);

    rc = write_full(c->fd, buf, 4 + len, deadline);
    free(buf);
    if (rc == IO_OK)
        return 0;
    c->broken = 1;
    if (rc == IO_TIMEOUT)
        set_err(c, "timed out sending a frame to the server");
    else
        set_err(c, "sending to the server failed: %s", strerror(errno));
    return -1;
}

/*
 * Reads one frame. Returns IO_OK with *out set (free with
 * mailgate__v1__frame__free_unpacked), IO_EOF when the server closed the
 * connection between frames, IO_TIMEOUT when the deadline passed, or IO_ERR
 * (c->err set). Any failure except IO_TIMEOUT before the first byte leaves
 * the client broken.
 */
static int recv_frame(mg_client *c, int64_t deadline, Mailgate__V1__Frame **out)
{
    uint8_t hdr[4];
    uint8_t *body;
    size_t got = 0;
    uint32_t len;
    int rc;

    *out = NULL;
    rc = read_full(c->fd, hdr, sizeof hdr, deadline, &got);
    if (rc != IO_OK) {
        if (got == 0 && (rc == IO_EOF || rc == IO_TIMEOUT)) {
            if (rc == IO_EOF)
                c->broken = 1;
            return rc;
        }
        c->broken = 1;
        if (rc == IO_EOF)
            set_err(c, "connection closed by the server in a frame header (%zu of 4 bytes)", got);
        else if (rc == IO_TIMEOUT)
            set_err(c, "timed out in the middle of a frame header (%zu of 4 bytes)", got);
        else
            set_err(c, "receiving from the server failed: %s", strerror(errno));
        return rc == IO_TIMEOUT ? IO_TIMEOUT : IO_ERR;
    }

    len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    if (len == 0 || len > MG_MAX_FRAME_BYTES) {
        c->broken = 1;
        set_err(c, "protocol error: frame length %lu is outside 1..%u bytes",
                (unsigned long)len, (unsigned)MG_MAX_FRAME_BYTES);
        return IO_ERR;
    }
    body = malloc(len);
    if (body == NULL) {
        c->broken = 1;
        set_err(c, "out of memory for a %lu-byte frame", (unsigned long)len);
        return IO_ERR;
    }
    rc = read_full(c->fd, body, len, deadline, &got);
    if (rc != IO_OK) {
        free(body);
        c->broken = 1;
        if (rc == IO_EOF)
            set_err(c, "connection closed by the server in a frame (%zu of %lu bytes)",
                    got, (unsigned long)len);
        else if (rc == IO_TIMEOUT)
            set_err(c, "timed out in the middle of a frame (%zu of %lu bytes)",
                    got, (unsigned long)len);
        else
            set_err(c, "receiving from the server failed: %s", strerror(errno));
        return rc == IO_TIMEOUT ? IO_TIMEOUT : IO_ERR;
    }
    /* protobuf-c copies strings and bytes, so body can go right away. */
    *out = mailgate__v1__frame__unpack(NULL, len, body);
    free(body);
    if (*out == NULL) {
        c->broken = 1;
        set_err(c, "protocol error: could not parse a %lu-byte Frame", (unsigned long)len);
        return IO_ERR;
    }
    return IO_OK;
}

/* ------------------------------------------------------------------ */
/* replies                                                             */

void mg_reply_free(mg_reply *r)
{
    size_t i;
    if (r == NULL)
        return;
    free(r->message);
    free(r->reason);
    for (i = 0; i < r->n_violations; i++) {
        free(r->violations[i].field);
        free(r->violations[i].description);
    }
    free(r->violations);
    free(r->payload);
    memset(r, 0, sizeof *r);
}

/*
 * Fills out from a Status (NULL = the default, OK) and payload bytes.
 * Returns 0, or -1 when out of memory (out is then emptied).
 */
static int fill_reply(mg_reply *out, const Mailgate__V1__Status *st,
                      const uint8_t *payload, size_t payload_len)
{
    size_t i;

    memset(out, 0, sizeof *out);
    out->code = st != NULL ? (int)st->code : MG_OK;
    out->message = dup_str(st != NULL ? st->message : "");
    out->reason = dup_str(st != NULL ? st->reason : "");
    out->retry_after_ms = st != NULL ? st->retry_after_ms : 0;
    if (out->message == NULL || out->reason == NULL)
        goto oom;

    if (st != NULL && st->n_field_violations > 0) {
        out->violations = calloc(st->n_field_violations, sizeof *out->violations);
        if (out->violations == NULL)
            goto oom;
        out->n_violations = st->n_field_violations;
        for (i = 0; i < st->n_field_violations; i++) {
            const Mailgate__V1__FieldViolation *v = st->field_violations[i];
            out->violations[i].field = dup_str(v != NULL ? v->field : "");
            out->violations[i].description = dup_str(v != NULL ? v->description : "");
            if (out->violations[i].field == NULL || out->violations[i].description == NULL)
                goto oom;
        }
    }

    if (payload_len > 0) {
        out->payload = malloc(payload_len);
        if (out->payload == NULL)
            goto oom;
        memcpy(out->payload, payload, payload_len);
        out->payload_len = payload_len;
    }
    return 0;

oom:
    mg_reply_free(out);
    return -1;
}

/* ------------------------------------------------------------------ */
/* public API                                                          */

const char *mg_code_name(int code)
{
    static const char *const names[] = {
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
        "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
        "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    };
    if (code < 0 || (size_t)code >= sizeof names / sizeof names[0])
        return "UNRECOGNIZED";
    return names[code];
}

const char *mg_last_error(const mg_client *c)
{
    return c != NULL ? c->err : "no client";
}

/* Connects fd to ai, finishing a connect interrupted by a signal. Returns 0 or -1 (errno). */
static int connect_one(int fd, const struct addrinfo *ai)
{
    int soerr = 0;
    socklen_t slen = sizeof soerr;

    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return 0;
    if (errno != EINTR && errno != EINPROGRESS)
        return -1;
    /* The connect goes on in the background: wait for it to finish. */
    if (wait_fd(fd, POLLOUT, -1) != IO_OK)
        return -1;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) != 0)
        return -1;
    if (soerr != 0) {
        errno = soerr;
        return -1;
    }
    return 0;
}

mg_client *mg_connect(const char *host, uint16_t port, char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL, *ai;
    char portstr[8];
    char addr[128]; /* a numeric IPv4 or IPv6 address (with scope) */
    int fd = -1, gai, last_errno = 0;
    mg_client *c;

    put_err(err, errlen, "%s", "");
    if (host == NULL || *host == '\0') {
        put_err(err, errlen, "no host given");
        return NULL;
    }
    if (port == 0) {
        put_err(err, errlen, "port 0 is not valid");
        return NULL;
    }
    snprintf(portstr, sizeof portstr, "%u", (unsigned)port);

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    gai = getaddrinfo(host, portstr, &hints, &res);
    if (gai != 0) {
        put_err(err, errlen, "cannot resolve %s: %s", host,
                gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
        return NULL;
    }

    addr[0] = '\0';
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof addr, NULL, 0,
                        NI_NUMERICHOST) != 0)
            snprintf(addr, sizeof addr, "%s", host);
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
        if (connect_one(fd, ai) == 0)
            break;
        last_errno = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        put_err(err, errlen, "cannot connect to %s port %u (%s): %s", host, (unsigned)port,
                addr[0] != '\0' ? addr : "no address", strerror(last_errno));
        return NULL;
    }

    {
        int one = 1;
        /* Best effort: a failure only costs latency. */
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#ifdef SO_NOSIGPIPE
        (void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    }

    c = calloc(1, sizeof *c);
    if (c == NULL) {
        close(fd);
        put_err(err, errlen, "out of memory");
        return NULL;
    }
    c->fd = fd;
    c->next_call_id = 1;
    return c;
}

void mg_close(mg_client *c)
{
    if (c == NULL)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

/* Answers a Ping. Returns 0 or -1 (c->err set). */
static int send_pong(mg_client *c, uint64_t call_id, uint64_t nonce, int64_t deadline)
{
    Mailgate__V1__Frame f = MAILGATE__V1__FRAME__INIT;
    Mailgate__V1__Pong pong = MAILGATE__V1__PONG__INIT;
    pong.nonce = nonce;
    f.call_id = call_id;
    f.kind_case = MAILGATE__V1__FRAME__KIND_PONG;
    f.pong = &pong;
    return send_frame(c, &f, deadline);
}

/* Asks the server to abandon a call (best effort). */
static void send_cancel(mg_client *c, uint64_t call_id)
{
    Mailgate__V1__Frame f = MAILGATE__V1__FRAME__INIT;
    Mailgate__V1__Cancel cancel = MAILGATE__V1__CANCEL__INIT;
    f.call_id = call_id;
    f.kind_case = MAILGATE__V1__FRAME__KIND_CANCEL;
    f.cancel = &cancel;
    (void)send_frame(c, &f, now_ms() + 1000);
}

/* Sets out to a status made by the client. Returns 0, or -1 when out of memory. */
static int local_status(mg_reply *out, int code, const char *message, const char *reason)
{
    Mailgate__V1__Status st = MAILGATE__V1__STATUS__INIT;
    st.code = (Mailgate__V1__Status__Code)code;
    st.message = (char *)message;
    st.reason = (char *)reason;
    return fill_reply(out, &st, NULL, 0);
}

int mg_call(mg_client *c, const char *method, const char *api_key,
            uint32_t timeout_ms, const uint8_t *req, size_t req_len,
            mg_reply *out)
{
    Mailgate__V1__Frame frame = MAILGATE__V1__FRAME__INIT;
    Mailgate__V1__Call call = MAILGATE__V1__CALL__INIT;
    Mailgate__V1__Call__MetadataEntry auth = MAILGATE__V1__CALL__METADATA_ENTRY__INIT;
    Mailgate__V1__Call__MetadataEntry *md[1];
    mg_reply goaway;          /* the status of a GoAway seen while waiting */
    int have_goaway = 0;
    char *bearer = NULL;
    uint64_t call_id;
    int64_t deadline = -1;
    int rc;

    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (c == NULL)
        return -1;
    if (out == NULL || method == NULL || *method == '\0' || (req == NULL && req_len > 0)) {
        set_err(c, "mg_call: %s", out == NULL ? "out is NULL"
                                  : (req == NULL && req_len > 0) ? "req is NULL but req_len > 0"
                                                                 : "method is empty");
        return -1;
    }
    if (c->broken || c->going_away) {
        /* c->err still says why; keep it, but make the refusal clear. */
        static const char prefix[] = "connection no longer usable: ";
        if (strncmp(c->err, prefix, sizeof prefix - 1) != 0) {
            char why[sizeof c->err];
            memcpy(why, c->err, sizeof why);
            set_err(c, "%s%s", prefix, why[0] != '\0' ? why : "closed");
        }
        return -1;
    }
    c->err[0] = '\0';

    call_id = c->next_call_id++;
    if (call_id == 0) /* after 2^64 calls: skip 0, which means "connection-level" */
        call_id = c->next_call_id++;

    call.method = (char *)method;
    call.timeout_ms = timeout_ms;
    call.payload.data = (uint8_t *)req; /* only read by the packer */
    call.payload.len = req_len;
    if (api_key != NULL && *api_key != '\0') {
        size_t n = strlen(api_key);
        bearer = malloc(sizeof "Bearer " + n);
        if (bearer == NULL) {
            set_err(c, "out of memory");
            return -1;
        }
        memcpy(bearer, "Bearer ", 7);
        memcpy(bearer + 7, api_key, n + 1);
        auth.key = (char *)"authorization";
        auth.value = bearer;
        md[0] = &auth;
        call.metadata = md;
        call.n_metadata = 1;
    }
    frame.call_id = call_id;
    frame.kind_case = MAILGATE__V1__FRAME__KIND_CALL;
    frame.call = &call;

    if (timeout_ms > 0)
        deadline = now_ms() + (int64_t)timeout_ms + MG_DEADLINE_SLACK_MS;

    if (mailgate__v1__frame__get_packed_size(&frame) > MG_MAX_FRAME_BYTES) {
        free(bearer);
        set_err(c, "request too large: the call frame exceeds %u bytes",
                (unsigned)MG_MAX_FRAME_BYTES);
        return -1;
    }
    rc = send_frame(c, &frame, deadline);
    free(bearer);
    if (rc != 0)
        return -1;

    memset(&goaway, 0, sizeof goaway);
    for (;;) {
        Mailgate__V1__Frame *f = NULL;
        rc = recv_frame(c, deadline, &f);

        if (rc == IO_TIMEOUT) {
            char msg[96];
            mg_reply_free(&goaway);
            if (!c->broken)
                send_cancel(c, call_id);
            snprintf(msg, sizeof msg, "no reply within %llu ms (client-side deadline)",
                     (unsigned long long)timeout_ms + MG_DEADLINE_SLACK_MS);
            if (local_status(out, MG_DEADLINE_EXCEEDED, msg, "") != 0) {
                set_err(c, "out of memory");
                return -1;
            }
            return 0;
        }
        if (rc == IO_EOF) {
            if (have_goaway) {
                *out = goaway; /* the call ends with the GoAway's status */
                return 0;
            }
            set_err(c, "connection closed by the server before the reply");
            return -1;
        }
        if (rc != IO_OK) {
            mg_reply_free(&goaway);
            return -1;
        }
        /* protobuf-c allocates the member of a set oneof; be defensive anyway. */
        if ((f->kind_case == MAILGATE__V1__FRAME__KIND_REPLY && f->reply == NULL) ||
            (f->kind_case == MAILGATE__V1__FRAME__KIND_PING && f->ping == NULL) ||
            (f->kind_case == MAILGATE__V1__FRAME__KIND_GO_AWAY && f->go_away == NULL)) {
            mailgate__v1__frame__free_unpacked(f, NULL);
            continue;
        }

        switch (f->kind_case) {
        case MAILGATE__V1__FRAME__KIND_REPLY:
            if (f->call_id == call_id) {
                const Mailgate__V1__Reply *r = f->reply;
                rc = fill_reply(out, r->status, r->payload.data, r->payload.len);
                mailgate__v1__frame__free_unpacked(f, NULL);
                mg_reply_free(&goaway);
                if (rc != 0) {
                    set_err(c, "out of memory copying the reply");
                    return -1;
                }
                return 0;
            }
            break; /* a reply to some other (e.g. abandoned) call */

        case MAILGATE__V1__FRAME__KIND_PING:
            if (send_pong(c, f->call_id, f->ping->nonce, deadline) != 0) {
                mailgate__v1__frame__free_unpacked(f, NULL);
                mg_reply_free(&goaway);
                return -1;
            }
            break;

        case MAILGATE__V1__FRAME__KIND_GO_AWAY: {
            const Mailgate__V1__Status *st = f->go_away->status;
            int code = st != NULL ? (int)st->code : MG_OK;
            const char *msg = st != NULL && st->message[0] != '\0' ? st->message
                                                                  : "server sent GoAway";
            c->going_away = 1;
            set_err(c, "server sent GoAway: code=%d (%s) %s", code, mg_code_name(code), msg);
            mg_reply_free(&goaway);
            if (local_status(&goaway, code == MG_OK ? MG_UNAVAILABLE : code, msg,
                             st != NULL ? st->reason : "") != 0) {
                mailgate__v1__frame__free_unpacked(f, NULL);
                set_err(c, "out of memory");
                return -1;
            }
            if (st != NULL)
                goaway.retry_after_ms = st->retry_after_ms;
            have_goaway = 1;
            if (code != MG_OK && code != MG_UNAVAILABLE) {
                /* A protocol error or similar: no reply will come. */
                mailgate__v1__frame__free_unpacked(f, NULL);
                c->broken = 1;
                *out = goaway;
                return 0;
            }
            break; /* draining: the server may still answer our call */
        }

        default:
            break; /* Pong, or a kind this client does not know: ignore */
        }
        mailgate__v1__frame__free_unpacked(f, NULL);
    }
}
