/*
 * mailgate.h - a small C99 client for the Mailgate RPC protocol (mailgate.v1).
 *
 * Wire format (see proto/mailgate/v1/rpc.proto): over TCP, every frame is a
 * 4-byte big-endian unsigned length L followed by L bytes of a serialized
 * mailgate.v1.Frame. The client sends Frame{call_id, call: Call{...}} and the
 * server answers Frame{call_id, reply: Reply{status, payload, metadata}}.
 *
 * This library is deliberately synchronous: mg_call() sends one call and
 * blocks until the matching reply arrives. It keeps no global state; every
 * piece of state lives in an mg_client. An mg_client must not be used by two
 * threads at the same time (use one client per thread, or your own lock).
 *
 * Request and response payloads are opaque bytes: serialize/parse them with
 * the generated protobuf-c code (e.g. mailgate/v1/health.pb-c.h).
 *
 * The library writes with MSG_NOSIGNAL (or SO_NOSIGPIPE where available), so
 * a peer that closes the connection yields an error instead of SIGPIPE.
 */
#ifndef MAILGATE_H
#define MAILGATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest frame (the L of the length prefix) sent or accepted: 16 MiB. */
#define MG_MAX_FRAME_BYTES (16u * 1024u * 1024u)

/* Slack added to a call's timeout_ms for the client-side deadline (see mg_call). */
#define MG_DEADLINE_SLACK_MS 1000u

/*
 * Status codes of mailgate.v1.Status.Code (the gRPC codes and meanings).
 * mg_reply.code holds one of these, or another non-negative number if a newer
 * server sends a code this client does not know.
 */
enum mg_code {
    MG_OK = 0,
    MG_CANCELLED = 1,
    MG_UNKNOWN = 2,
    MG_INVALID_ARGUMENT = 3,
    MG_DEADLINE_EXCEEDED = 4,
    MG_NOT_FOUND = 5,
    MG_ALREADY_EXISTS = 6,
    MG_PERMISSION_DENIED = 7,
    MG_RESOURCE_EXHAUSTED = 8,
    MG_FAILED_PRECONDITION = 9,
    MG_ABORTED = 10,
    MG_OUT_OF_RANGE = 11,
    MG_UNIMPLEMENTED = 12,
    MG_INTERNAL = 13,
    MG_UNAVAILABLE = 14,
    MG_DATA_LOSS = 15,
    MG_UNAUTHENTICATED = 16
};

/* An opaque connection to a Mailgate server. */
typedef struct mg_client mg_client;

/* One invalid request field, from Status.field_violations. */
typedef struct mg_field_violation {
    char *field;        /* dotted path, e.g. "to[2].address"; never NULL */
    char *description;  /* never NULL */
} mg_field_violation;

/*
 * The outcome of one call. Every pointer is owned by the mg_reply and released
 * by mg_reply_free(). After a successful mg_call() the strings are never NULL
 * (possibly empty).
 */
typedef struct mg_reply {
    int code;                        /* an enum mg_code value; MG_OK on success */
    char *message;                   /* human-readable, never contains secrets */
    char *reason;                    /* machine-readable UPPER_SNAKE_CASE, often "" */
    uint64_t retry_after_ms;         /* 0 = no retry hint */
    size_t n_violations;             /* number of entries in violations */
    mg_field_violation *violations;  /* NULL when n_violations == 0 */
    uint8_t *payload;                /* serialized response; NULL when payload_len == 0 */
    size_t payload_len;
} mg_reply;

/*
 * Connects to host:port over TCP (host is a name or a numeric IPv4/IPv6
 * address; every address getaddrinfo() returns is tried in order) and sets
 * TCP_NODELAY. The connect itself is blocking, with the OS's timeout.
 *
 * Returns a new client, or NULL on failure with a NUL-terminated description
 * written to err (when err is not NULL and errlen > 0; truncated to errlen).
 */
mg_client *mg_connect(const char *host, uint16_t port, char *err, size_t errlen);

/* Closes the connection and frees the client. NULL is allowed. */
void mg_close(mg_client *c);

/*
 * Calls `method` (a full name, e.g. "/mailgate.v1.Health/Check") with the
 * serialized request req[0..req_len) (req may be NULL when req_len is 0) and
 * waits for its reply.
 *
 *  - api_key: when non-NULL and non-empty, sent as metadata
 *    "authorization: Bearer <api_key>".
 *  - timeout_ms: the deadline sent to the server (0 = the server's default).
 *    When non-zero, the client also stops waiting after
 *    timeout_ms + MG_DEADLINE_SLACK_MS; it then sends a Cancel for the call
 *    and reports code MG_DEADLINE_EXCEEDED (a late reply is skipped by a
 *    later call). With 0 it waits as long as the connection stays open.
 *
 * A fresh call_id is used for each call. While waiting, server Pings are
 * answered with Pongs and replies for other call_ids are ignored. A GoAway
 * whose status is OK or UNAVAILABLE (draining) lets the server still answer
 * the call; if the connection then closes first, or the GoAway carries any
 * other status, the call ends with the GoAway's status (OK is reported as
 * MG_UNAVAILABLE). After a GoAway the client accepts no new calls.
 *
 * Returns 0 when *out holds a status: the server's reply, a GoAway status, or
 * a client-side deadline. A non-OK status is still a 0 return; check
 * out->code. Returns -1 on a connection or protocol failure (or bad
 * arguments); mg_last_error() then describes it and *out is empty. After a
 * failure that desynchronizes the stream the client refuses further calls.
 *
 * *out is overwritten (not freed) on entry, and mg_reply_free(out) is safe
 * after either return value.
 */
int mg_call(mg_client *c, const char *method, const char *api_key,
            uint32_t timeout_ms, const uint8_t *req, size_t req_len,
            mg_reply *out);

/* Frees what an mg_reply owns and empties it. NULL is allowed. */
void mg_reply_free(mg_reply *r);

/*
 * A description of the client's last failure (mg_call returning -1, or the
 * GoAway that ended the connection); "" if none. Valid until the next call on
 * c. Never NULL.
 */
const char *mg_last_error(const mg_client *c);

/*
 * The name of a status code, e.g. "UNAUTHENTICATED" for 16; "UNRECOGNIZED"
 * for a code this client does not know. Never NULL; a static string.
 */
const char *mg_code_name(int code);

#ifdef __cplusplus
}
#endif

#endif /* MAILGATE_H */
