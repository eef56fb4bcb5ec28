/*
 * mailgate.c - a small C99 client for the Mailgate RPC protocol. See mailgate.h.
 */
#define _POSIX_C_SOURCE 200809L
#define _DARWIN_C_SOURCE /* SO_NOSIGPIPE on macOS; harmless elsewhere */

#include "mailgate.h"

#include "mailgate/v1/health.pb-c.h"
#include "mailgate/v1/mailer.pb-c.h"
#include "mailgate/v1/rpc.pb-c.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
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
    int fd;         /* non-blocking once connected */
    SSL_CTX *ctx;   /* TLS only: this client's own context (no global state) */
    SSL *ssl;       /* TLS only */
    uint64_t next_call_id;
    int broken;     /* the byte stream is unusable: no more calls */
    int going_away; /* the server sent GoAway: no new calls */
    int authenticated; /* a call with a key was accepted here: large frames are allowed */
    char io_err[256]; /* why the last transport read or write failed */
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

/* Describes the TLS library's queued errors (or errno) in c->io_err, and clears them. */
static void tls_io_err(mg_client *c, const char *what, int saved_errno)
{
    unsigned long e = ERR_get_error();
    if (e != 0) {
        char buf[200];
        ERR_error_string_n(e, buf, sizeof buf);
        snprintf(c->io_err, sizeof c->io_err, "%s: %s", what, buf);
    } else if (saved_errno != 0) {
        snprintf(c->io_err, sizeof c->io_err, "%s: %s", what, strerror(saved_errno));
    } else {
        snprintf(c->io_err, sizeof c->io_err, "%s: unexpected end of the TLS stream", what);
    }
    ERR_clear_error();
}

/*
 * Reads up to n (> 0) bytes into buf, waiting until the deadline (monotonic ms;
 * < 0 = none). Returns the number of bytes read (> 0), or IO_EOF, IO_TIMEOUT or
 * IO_ERR (c->io_err set).
 */
static long read_some(mg_client *c, uint8_t *buf, size_t n, int64_t deadline)
{
    if (n > INT_MAX)
        n = INT_MAX;
    for (;;) {
        short want = POLLIN;
        int w;
        if (c->ssl != NULL) {
            int r, e, saved;
            ERR_clear_error();
            errno = 0;
            r = SSL_read(c->ssl, buf, (int)n);
            if (r > 0)
                return r;
            saved = errno;
            e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_ZERO_RETURN)
                return IO_EOF; /* close_notify */
            if (e == SSL_ERROR_WANT_WRITE)
                want = POLLOUT;
            else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 &&
                     (saved == 0 || saved == ECONNRESET))
                return IO_EOF; /* closed without close_notify */
            else if (e != SSL_ERROR_WANT_READ) {
                tls_io_err(c, "TLS read", saved);
                return IO_ERR;
            }
        } else {
            ssize_t r = recv(c->fd, buf, n, 0);
            if (r > 0)
                return (long)r;
            if (r == 0)
                return IO_EOF;
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                snprintf(c->io_err, sizeof c->io_err, "%s", strerror(errno));
                return IO_ERR;
            }
        }
        w = wait_fd(c->fd, want, deadline);
        if (w == IO_ERR)
            snprintf(c->io_err, sizeof c->io_err, "poll: %s", strerror(errno));
        if (w != IO_OK)
            return w;
    }
}

/*
 * Reads exactly n bytes. *got counts the bytes read so far (also on failure).
 * Returns IO_OK, IO_EOF (peer closed), IO_TIMEOUT or IO_ERR (c->io_err set).
 */
static int read_full(mg_client *c, uint8_t *buf, size_t n, int64_t deadline, size_t *got)
{
    *got = 0;
    while (*got < n) {
        long r = read_some(c, buf + *got, n - *got, deadline);
        if (r < 0)
            return (int)r;
        *got += (size_t)r;
    }
    return IO_OK;
}

/* Writes exactly n bytes. Returns IO_OK, IO_TIMEOUT or IO_ERR (c->io_err set). */
static int write_full(mg_client *c, const uint8_t *buf, size_t n, int64_t deadline)
{
    size_t done = 0;
    while (done < n) {
        short want = POLLOUT;
        int w;
        if (c->ssl != NULL) {
            size_t chunk = n - done > INT_MAX ? INT_MAX : n - done;
            int r, e, saved;
            ERR_clear_error();
            errno = 0;
            r = SSL_write(c->ssl, buf + done, (int)chunk);
            if (r > 0) {
                done += (size_t)r;
                continue;
            }
            saved = errno;
            e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ)
                want = POLLIN;
            else if (e != SSL_ERROR_WANT_WRITE) {
                tls_io_err(c, "TLS write", saved);
                return IO_ERR;
            }
        } else {
            ssize_t r = send(c->fd, buf + done, n - done, MSG_NOSIGNAL);
            if (r >= 0) {
                done += (size_t)r;
                continue;
            }
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                snprintf(c->io_err, sizeof c->io_err, "%s", strerror(errno));
                return IO_ERR;
            }
        }
        w = wait_fd(c->fd, want, deadline);
        if (w == IO_ERR)
            snprintf(c->io_err, sizeof c->io_err, "poll: %s", strerror(errno));
        if (w != IO_OK)
            return w;
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

    rc = write_full(c, buf, 4 + len, deadline);
    free(buf);
    if (rc == IO_OK)
        return 0;
    c->broken = 1;
    if (rc == IO_TIMEOUT)
        set_err(c, "timed out sending a frame to the server");
    else
        set_err(c, "sending to the server failed: %s", c->io_err);
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
    rc = read_full(c, hdr, sizeof hdr, deadline, &got);
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
            set_err(c, "receiving from the server failed: %s", c->io_err);
        return rc == IO_TIMEOUT ? IO_TIMEOUT : IO_ERR;
    }

    len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    if (len == 0 || len > MG_MAX_FRAME_BYTES) {
        c->broken = 1;
        /* A TLS record (alert 0x15 or handshake 0x16, version 3.x) where a frame should be. */
        set_err(c, "protocol error: frame length %lu is outside 1..%u bytes%s",
                (unsigned long)len, (unsigned)MG_MAX_FRAME_BYTES,
                c->ssl == NULL && (hdr[0] == 0x15 || hdr[0] == 0x16) && hdr[1] == 3
                    ? " (the server seems to speak TLS: connect with TLS)" : "");
        return IO_ERR;
    }
    body = malloc(len);
    if (body == NULL) {
        c->broken = 1;
        set_err(c, "out of memory for a %lu-byte frame", (unsigned long)len);
        return IO_ERR;
    }
    rc = read_full(c, body, len, deadline, &got);
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
            set_err(c, "receiving from the server failed: %s", c->io_err);
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
    out->from_server = 1;
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

/*
 * Connects the non-blocking fd to ai by the deadline (< 0 = the OS's own
 * timeout). Returns 0, or -1 with errno set (ETIMEDOUT when the deadline passed).
 */
static int connect_one(int fd, const struct addrinfo *ai, int64_t deadline)
{
    int soerr = 0, w;
    socklen_t slen = sizeof soerr;

    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return 0;
    if (errno != EINTR && errno != EINPROGRESS)
        return -1;
    /* The connect goes on in the background: wait for it to finish. */
    w = wait_fd(fd, POLLOUT, deadline);
    if (w == IO_TIMEOUT)
        errno = ETIMEDOUT;
    if (w != IO_OK)
        return -1;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) != 0)
        return -1;
    if (soerr != 0) {
        errno = soerr;
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* TLS (OpenSSL)                                                       */

/*
 * OpenSSL's own socket BIO writes with write(), which raises SIGPIPE when the
 * server has closed the connection. This minimal BIO reads and writes the
 * client's fd with recv()/send(MSG_NOSIGNAL) instead.
 */
static int tls_bio_write(BIO *b, const char *data, int len)
{
    mg_client *c = BIO_get_data(b);
    ssize_t r;
    BIO_clear_retry_flags(b);
    r = send(c->fd, data, (size_t)len, MSG_NOSIGNAL);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_write(b);
    return (int)r;
}

static int tls_bio_read(BIO *b, char *buf, int len)
{
    mg_client *c = BIO_get_data(b);
    ssize_t r;
    BIO_clear_retry_flags(b);
    r = recv(c->fd, buf, (size_t)len, 0);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_read(b);
    return (int)r;
}

static long tls_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int tls_bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

/* One BIO type for every TLS connection of the process, made once: OpenSSL has only 127 type
 * indexes for applications, so a type per connection would run out. Never freed. */
static CRYPTO_ONCE socket_bio_once = CRYPTO_ONCE_STATIC_INIT;
static BIO_METHOD *socket_bio_method;

static void make_socket_bio_method(void)
{
    BIO_METHOD *method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "mailgate socket");
    if (method == NULL || BIO_meth_set_write(method, tls_bio_write) != 1 ||
        BIO_meth_set_read(method, tls_bio_read) != 1 ||
        BIO_meth_set_ctrl(method, tls_bio_ctrl) != 1 ||
        BIO_meth_set_create(method, tls_bio_create) != 1) {
        BIO_meth_free(method);
        return;
    }
    socket_bio_method = method;
}

/* Is name a numeric IPv4 or IPv6 address? */
static int is_ip_address(const char *name)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

/*
 * Sets up TLS on c->fd and completes the handshake by the deadline. The server's
 * certificate must chain to opts->ca_file (or the system's CAs) and be valid for
 * server_name: a DNS name (also sent as SNI) or an IP address. Returns 0, or -1
 * with err filled.
 */
static int tls_start(mg_client *c, const mg_options *opts, const char *server_name,
                     int64_t deadline, char *err, size_t errlen)
{
    BIO *bio;
    char why[256];

    ERR_clear_error();
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (c->ctx == NULL)
        goto ssl_failure;
    if (SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION) != 1)
        goto ssl_failure;
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    /* A server that closes without close_notify (e.g. after a GoAway) is an EOF, as in
     * plain TCP; the length-prefixed frames themselves show a truncation. */
    SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
    if (opts->ca_file != NULL && *opts->ca_file != '\0') {
        if (SSL_CTX_load_verify_locations(c->ctx, opts->ca_file, NULL) != 1) {
            ERR_error_string_n(ERR_get_error(), why, sizeof why);
            put_err(err, errlen, "cannot load the CA file %s: %s", opts->ca_file, why);
            return -1;
        }
    } else if (SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
        goto ssl_failure;
    }
    if (opts->cert_file != NULL && *opts->cert_file != '\0') {
        const char *key = opts->key_file != NULL && *opts->key_file != '\0' ? opts->key_file
                                                                          : opts->cert_file;
        if (SSL_CTX_use_certificate_chain_file(c->ctx, opts->cert_file) != 1 ||
            SSL_CTX_use_PrivateKey_file(c->ctx, key, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(c->ctx) != 1) {
            ERR_error_string_n(ERR_get_error(), why, sizeof why);
            put_err(err, errlen, "cannot load the client certificate %s or its key %s: %s",
                    opts->cert_file, key, why);
            return -1;
        }
    }

    c->ssl = SSL_new(c->ctx);
    if (c->ssl == NULL)
        goto ssl_failure;
    SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (is_ip_address(server_name)) {
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), server_name) != 1)
            goto ssl_failure;
    } else {
        /* The host name check, and SNI so that a server with several names picks the right one. */
        X509_VERIFY_PARAM_set_hostflags(SSL_get0_param(c->ssl),
                                        X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (SSL_set1_host(c->ssl, server_name) != 1 ||
            SSL_set_tlsext_host_name(c->ssl, server_name) != 1)
            goto ssl_failure;
    }

    if (CRYPTO_THREAD_run_once(&socket_bio_once, make_socket_bio_method) != 1 ||
        socket_bio_method == NULL)
        goto ssl_failure;
    bio = BIO_new(socket_bio_method);
    if (bio == NULL)
        goto ssl_failure;
    BIO_set_data(bio, c);
    SSL_set_bio(c->ssl, bio, bio); /* c->ssl owns it now */

    for (;;) {
        int r, e, saved, w;
        short want;
        ERR_clear_error();
        errno = 0;
        r = SSL_connect(c->ssl);
        if (r == 1)
            return 0;
        saved = errno;
        e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ) {
            want = POLLIN;
        } else if (e == SSL_ERROR_WANT_WRITE) {
            want = POLLOUT;
        } else {
            long verify = SSL_get_verify_result(c->ssl);
            if (verify != X509_V_OK) {
                put_err(err, errlen, "TLS handshake failed: the server's certificate is not trusted "
                                     "for %s: %s", server_name,
                        X509_verify_cert_error_string(verify));
            } else {
                c->io_err[0] = '\0';
                tls_io_err(c, "TLS handshake failed", saved);
                put_err(err, errlen, "%s", c->io_err);
            }
            return -1;
        }
        w = wait_fd(c->fd, want, deadline);
        if (w == IO_TIMEOUT) {
            put_err(err, errlen, "TLS handshake timed out");
            return -1;
        }
        if (w != IO_OK) {
            put_err(err, errlen, "TLS handshake failed: poll: %s", strerror(errno));
            return -1;
        }
    }

ssl_failure:
    ERR_error_string_n(ERR_get_error(), why, sizeof why);
    put_err(err, errlen, "cannot set up TLS: %s", why);
    return -1;
}

/* Releases the TLS state and the socket, without a word to the server. */
static void free_transport(mg_client *c)
{
    SSL_free(c->ssl); /* frees its BIO */
    SSL_CTX_free(c->ctx);
    c->ssl = NULL;
    c->ctx = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

/* ------------------------------------------------------------------ */
/* connections                                                         */

mg_client *mg_connect(const char *host, uint16_t port, char *err, size_t errlen)
{
    return mg_connect_with(host, port, NULL, err, errlen);
}

mg_client *mg_connect_with(const char *host, uint16_t port, const mg_options *opts,
                           char *err, size_t errlen)
{
    static const mg_options plain = {0, NULL, NULL, NULL, NULL, 0};
    struct addrinfo hints, *res = NULL, *ai;
    char portstr[8];
    char addr[128]; /* a numeric IPv4 or IPv6 address (with scope) */
    int fd = -1, gai, last_errno = 0;
    int64_t deadline = -1;
    mg_client *c;

    put_err(err, errlen, "%s", "");
    if (opts == NULL)
        opts = &plain;
    if (host == NULL || *host == '\0') {
        put_err(err, errlen, "no host given");
        return NULL;
    }
    if (port == 0) {
        put_err(err, errlen, "port 0 is not valid");
        return NULL;
    }
    if (opts->connect_timeout_ms > 0)
        deadline = now_ms() + (int64_t)opts->connect_timeout_ms;
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
        int flags;
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof addr, NULL, 0,
                        NI_NUMERICHOST) != 0)
            snprintf(addr, sizeof addr, "%s", host);
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
        flags = fcntl(fd, F_GETFL);
        if (flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 &&
            connect_one(fd, ai, deadline) == 0)
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
    if (opts->tls) {
        const char *name = opts->server_name != NULL && *opts->server_name != '\0'
                               ? opts->server_name : host;
        char why[400];
        if (tls_start(c, opts, name, deadline, why, sizeof why) != 0) {
            put_err(err, errlen, "TLS to %s port %u: %s", host, (unsigned)port, why);
            free_transport(c);
            free(c);
            ERR_clear_error();
            return NULL;
        }
    }
    return c;
}

void mg_close(mg_client *c)
{
    if (c == NULL)
        return;
    if (c->ssl != NULL && !c->broken) {
        /* Best effort close_notify; never waits (the socket is non-blocking). */
        (void)SSL_shutdown(c->ssl);
    }
    free_transport(c);
    ERR_clear_error();
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
    if (fill_reply(out, &st, NULL, 0) != 0)
        return -1;
    out->from_server = 0;
    return 0;
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

    /*
     * Until a call on the connection was authenticated the server takes small
     * frames only: before a large first call, a small authenticated one (as the
     * Python client does).
     */
    if (api_key != NULL && *api_key != '\0' && !c->authenticated &&
        req_len + 1024 > MG_UNAUTHENTICATED_FRAME_ALLOWANCE) {
        if (mg_call(c, MG_METHOD_WHOAMI, api_key, timeout_ms, NULL, 0, out) != 0)
            return -1;
        if (out->code != MG_OK)
            return 0; /* that status is the call's */
        mg_reply_free(out);
    }

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
        /* Checked before each frame too: Pings and other calls' replies must not keep a call
         * waiting past its deadline (they are no timeout to recv_frame). */
        rc = deadline >= 0 && now_ms() >= deadline ? IO_TIMEOUT : recv_frame(c, deadline, &f);

        if (rc == IO_TIMEOUT) {
            char msg[96];
            mg_reply_free(&goaway);
            if (!c->broken)
                send_cancel(c, call_id);
            snprintf(msg, sizeof msg, "no reply within %llu ms (client-side deadline)",
                     (unsigned long long)timeout_ms + MG_DEADLINE_SLACK_MS);
            if (local_status(out, MG_DEADLINE_EXCEEDED, msg, "DEADLINE_EXCEEDED") != 0) {
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
                if (rc == 0 && api_key != NULL && *api_key != '\0' &&
                    out->code != MG_UNAUTHENTICATED)
                    c->authenticated = 1;
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
            goaway.from_server = 1; /* the server's own status, only OK turned UNAVAILABLE */
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

/* ------------------------------------------------------------------ */
/* typed calls                                                         */

void mg_error_free(mg_error *e)
{
    size_t i;
    if (e == NULL)
        return;
    free(e->message);
    free(e->reason);
    for (i = 0; i < e->n_violations; i++) {
        free(e->violations[i].field);
        free(e->violations[i].description);
    }
    free(e->violations);
    memset(e, 0, sizeof *e);
    e->name = mg_code_name(MG_OK);
}

/* Moves a reply's status into err (the reply keeps only its payload). */
static void error_from_reply(mg_error *err, mg_reply *r, int from_server)
{
    err->code = r->code;
    err->name = mg_code_name(r->code);
    err->message = r->message;
    err->reason = r->reason;
    err->n_violations = r->n_violations;
    err->violations = r->violations;
    err->retry_after_ms = r->retry_after_ms;
    err->from_server = from_server;
    r->message = NULL;
    r->reason = NULL;
    r->violations = NULL;
    r->n_violations = 0;
}

/*
 * Sets err to a status made by this client. When even that is out of memory, the
 * strings stay NULL (documented: message and reason may then be NULL).
 */
static void local_error(mg_error *err, int code, const char *reason, const char *fmt, ...)
{
    char msg[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    mg_error_free(err);
    err->code = code;
    err->name = mg_code_name(code);
    err->message = dup_str(msg);
    err->reason = dup_str(reason);
    err->from_server = 0;
}

int mg_call_message(mg_client *c, const char *method, const char *api_key, uint32_t timeout_ms,
                    const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_type,
                    ProtobufCMessage **out, mg_error *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    mg_reply r;
    int rc;

    if (out != NULL)
        *out = NULL;
    if (err == NULL)
        return -1;
    memset(err, 0, sizeof *err);
    err->name = mg_code_name(MG_OK);
    if (c == NULL || method == NULL || req == NULL || resp_type == NULL || out == NULL) {
        local_error(err, MG_INVALID_ARGUMENT, "BAD_ARGUMENTS",
                    "mg_call_message: client, method, request, response type and out are required");
        return -1;
    }
    len = protobuf_c_message_get_packed_size(req);
    if (len > 0) {
        buf = malloc(len);
        if (buf == NULL) {
            local_error(err, MG_RESOURCE_EXHAUSTED, "OUT_OF_MEMORY", "out of memory");
            return -1;
        }
        protobuf_c_message_pack(req, buf);
    }
    rc = mg_call(c, method, api_key, timeout_ms, buf, len, &r);
    free(buf);
    if (rc != 0) {
        /* Like the Python client: a broken or refused connection is UNAVAILABLE. */
        local_error(err, MG_UNAVAILABLE, "CONNECTION_LOST", "%s: %s", method, mg_last_error(c));
        return -1;
    }
    if (r.code != MG_OK) {
        /* Server statuses, GoAways, and the client-side deadline (reason DEADLINE_EXCEEDED). */
        error_from_reply(err, &r, r.from_server);
        mg_reply_free(&r);
        return -1;
    }
    *out = protobuf_c_message_unpack(resp_type, NULL, r.payload_len, r.payload);
    if (*out == NULL) {
        local_error(err, MG_INTERNAL, "BAD_RESPONSE", "%s: the %zu-byte response is not a valid %s",
                    method, r.payload_len, resp_type->name);
        mg_reply_free(&r);
        return -1;
    }
    mg_reply_free(&r);
    return 0;
}

/* The typed helpers: one method each, the response type checked at compile time. */
#define MG_TYPED(storage, fn, path, ReqT, RespT, resp_desc)                                     \
    storage int fn(mg_client *c, const char *api_key, uint32_t timeout_ms, const ReqT *req, RespT **out, \
           mg_error *err)                                                                        \
    {                                                                                            \
        ProtobufCMessage *m = NULL;                                                              \
        int rc = mg_call_message(c, path, api_key, timeout_ms,                                   \
                                 req != NULL ? &req->base : NULL, &resp_desc, &m, err);          \
        if (out != NULL)                                                                         \
            *out = (RespT *)m;                                                                   \
        else                                                                                     \
            protobuf_c_message_free_unpacked(m, NULL);                                           \
        return rc;                                                                               \
    }

MG_TYPED(static, mg_check_call, MG_METHOD_CHECK, Mailgate__V1__CheckRequest, Mailgate__V1__CheckResponse,
         mailgate__v1__check_response__descriptor)
MG_TYPED(static, mg_whoami_call, MG_METHOD_WHOAMI, Mailgate__V1__WhoAmIRequest,
         Mailgate__V1__WhoAmIResponse, mailgate__v1__who_am_iresponse__descriptor)
MG_TYPED(extern, mg_send_mail, MG_METHOD_SEND_MAIL, Mailgate__V1__SendMailRequest,
         Mailgate__V1__SendMailResponse, mailgate__v1__send_mail_response__descriptor)
MG_TYPED(extern, mg_get_message, MG_METHOD_GET_MESSAGE, Mailgate__V1__GetMessageRequest,
         Mailgate__V1__GetMessageResponse, mailgate__v1__get_message_response__descriptor)
MG_TYPED(extern, mg_validate_server, MG_METHOD_VALIDATE_SERVER, Mailgate__V1__ValidateServerRequest,
         Mailgate__V1__ValidateServerResponse, mailgate__v1__validate_server_response__descriptor)
MG_TYPED(extern, mg_refresh_token, MG_METHOD_REFRESH_TOKEN, Mailgate__V1__RefreshTokenRequest,
         Mailgate__V1__RefreshTokenResponse, mailgate__v1__refresh_token_response__descriptor)

int mg_check(mg_client *c, uint32_t timeout_ms, Mailgate__V1__CheckResponse **out, mg_error *err)
{
    Mailgate__V1__CheckRequest req = MAILGATE__V1__CHECK_REQUEST__INIT;
    return mg_check_call(c, NULL, timeout_ms, &req, out, err);
}

int mg_whoami(mg_client *c, const char *api_key, uint32_t timeout_ms,
              Mailgate__V1__WhoAmIResponse **out, mg_error *err)
{
    Mailgate__V1__WhoAmIRequest req = MAILGATE__V1__WHO_AM_IREQUEST__INIT;
    return mg_whoami_call(c, api_key, timeout_ms, &req, out, err);
}

const char *mg_message_state_name(int state)
{
    switch (state) {
    case MAILGATE__V1__MESSAGE_STATE__MESSAGE_STATE_QUEUED:
        return "QUEUED";
    case MAILGATE__V1__MESSAGE_STATE__MESSAGE_STATE_SENDING:
        return "SENDING";
    case MAILGATE__V1__MESSAGE_STATE__MESSAGE_STATE_SENT:
        return "SENT";
    case MAILGATE__V1__MESSAGE_STATE__MESSAGE_STATE_FAILED:
        return "FAILED";
    case MAILGATE__V1__MESSAGE_STATE__MESSAGE_STATE_CANCELLED:
        return "CANCELLED";
    default:
        return "UNSPECIFIED";
    }
}

int mg_message_state_is_final(int state)
{
    return state == MAILGATE__V1__MESSAGE_STATE__MESSAGE_STATE_SENT ||
           state == MAILGATE__V1__MESSAGE_STATE__MESSAGE_STATE_FAILED ||
           state == MAILGATE__V1__MESSAGE_STATE__MESSAGE_STATE_CANCELLED;
}

/* Sleeps ms milliseconds (resumed after signals). */
static void sleep_ms(int64_t ms)
{
    struct timespec ts;
    if (ms <= 0)
        return;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int mg_wait_message(mg_client *c, const char *api_key, const char *message_id, uint32_t wait_ms,
                    uint32_t timeout_ms, Mailgate__V1__GetMessageResponse **out, mg_error *err)
{
    Mailgate__V1__GetMessageRequest req = MAILGATE__V1__GET_MESSAGE_REQUEST__INIT;
    int64_t end = now_ms() + (int64_t)wait_ms;

    if (out != NULL)
        *out = NULL;
    if (err == NULL)
        return -1;
    req.message_id = (char *)(message_id != NULL ? message_id : "");
    for (;;) {
        Mailgate__V1__GetMessageResponse *m = NULL;
        int64_t left;
        if (mg_get_message(c, api_key, timeout_ms, &req, &m, err) != 0)
            return -1;
        if (mg_message_state_is_final((int)m->state)) {
            if (out != NULL)
                *out = m;
            else
                mailgate__v1__get_message_response__free_unpacked(m, NULL);
            return 0;
        }
        left = end - now_ms();
        if (left <= 0) {
            local_error(err, MG_DEADLINE_EXCEEDED, "STILL_WAITING", "message %s is still %s",
                        req.message_id, mg_message_state_name((int)m->state));
            mailgate__v1__get_message_response__free_unpacked(m, NULL);
            return -1;
        }
        mailgate__v1__get_message_response__free_unpacked(m, NULL);
        sleep_ms(left < MG_WAIT_POLL_MS ? left : MG_WAIT_POLL_MS);
    }
}
