/*
 * mailgate.h - a small C99 client for the Mailgate RPC protocol (mailgate.v1).
 *
 * Wire format (see proto/mailgate/v1/rpc.proto): over TCP or TLS, every frame is a
 * 4-byte big-endian unsigned length L followed by L bytes of a serialized
 * mailgate.v1.Frame. The client sends Frame{call_id, call: Call{...}} and the
 * server answers Frame{call_id, reply: Reply{status, payload, metadata}}.
 *
 * This library is deliberately synchronous: mg_call() sends one call and
 * blocks until the matching reply arrives. It keeps no global state; every
 * piece of state lives in an mg_client. An mg_client must not be used by two
 * threads at the same time (use one client per thread, or your own lock).
 *
 * Two layers:
 *  - mg_call(): the raw call. Request and response payloads are opaque bytes;
 *    the reply carries the status as the server sent it.
 *  - typed calls (mg_check, mg_whoami, mg_send_mail, mg_get_message,
 *    mg_wait_message, mg_validate_server, mg_refresh_token, and
 *    mg_call_message for any other method): they take and return the
 *    protobuf-c messages generated from proto/ (gen/mailgate/v1/NAME.pb-c.h) and
 *    report every failure in one mg_error.
 *
 * Connections are plain TCP (mg_connect) or TLS 1.2+ through OpenSSL
 * (mg_connect_with and mg_options.tls), verifying the server's certificate
 * against a CA file or the system's CAs, and its name (or IP address).
 *
 * The library writes with MSG_NOSIGNAL (or SO_NOSIGPIPE where available), also
 * under TLS, so a peer that closes the connection yields an error instead of
 * SIGPIPE. Compile with -I<clients/c> -I<clients/c/gen>; link libmailgate.a,
 * -lprotobuf-c, -lssl and -lcrypto.
 */
#ifndef MAILGATE_H
#define MAILGATE_H

#include <stddef.h>
#include <stdint.h>

#include "mailgate/v1/health.pb-c.h"
#include "mailgate/v1/mailer.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest frame (the L of the length prefix) sent or accepted: 16 MiB. */
#define MG_MAX_FRAME_BYTES (16u * 1024u * 1024u)

/* Slack added to a call's timeout_ms for the client-side deadline (see mg_call). */
#define MG_DEADLINE_SLACK_MS 1000u

/*
 * Until a call on a connection was authenticated the server takes frames of
 * at most 64 KiB: mg_call() with a key and a request over this size (less
 * 1 KiB for the envelope) first makes a small authenticated call (WhoAmI).
 */
#define MG_UNAUTHENTICATED_FRAME_ALLOWANCE (60u * 1024u)

/* How often mg_wait_message() asks for the message's state. */
#define MG_WAIT_POLL_MS 500

/* Full method names of the typed calls. */
#define MG_METHOD_CHECK "/mailgate.v1.Health/Check"
#define MG_METHOD_WHOAMI "/mailgate.v1.Health/WhoAmI"
#define MG_METHOD_SEND_MAIL "/mailgate.v1.Mailer/SendMail"
#define MG_METHOD_GET_MESSAGE "/mailgate.v1.Mailer/GetMessage"
#define MG_METHOD_VALIDATE_SERVER "/mailgate.v1.Mailer/ValidateServer"
#define MG_METHOD_REFRESH_TOKEN "/mailgate.v1.Mailer/RefreshToken"

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
    int from_server;                 /* 1: the server's Reply or GoAway; 0: the client-side
                                        deadline (code MG_DEADLINE_EXCEEDED) */
} mg_reply;

/*
 * How mg_connect_with() connects. Zero-initialize it ({0}) for plain TCP with
 * the OS's connect timeout, then set what you need.
 */
typedef struct mg_options {
    int tls;                 /* non-zero: TLS 1.2 or newer; the server's certificate must be
                                trusted and valid for server_name, or the connect fails */
    const char *ca_file;     /* PEM file of the CAs to trust; NULL/"" = the system's CAs */
    const char *server_name; /* the name (or IP address) the certificate must be valid for,
                                also sent as SNI when it is a name; NULL/"" = host */
    const char *cert_file;   /* optional client certificate chain (PEM) for servers or
                                proxies that ask for one; Mailgate itself does not */
    const char *key_file;    /* its private key (PEM); NULL/"" = in cert_file */
    uint32_t connect_timeout_ms; /* limit for the TCP connect plus the TLS handshake;
                                    0 = the OS's connect timeout, no handshake limit */
} mg_options;

/*
 * Why a typed call failed: the Status the server sent (code, message, reason,
 * field violations, retry_after_ms), or one this client made up for failures
 * that have no server status (from_server == 0):
 *   - MG_UNAVAILABLE, reason CONNECTION_LOST: the connection failed, broke or
 *     was already unusable (the call may have run);
 *   - MG_DEADLINE_EXCEEDED, reason DEADLINE_EXCEEDED: no reply within
 *     timeout_ms + MG_DEADLINE_SLACK_MS (the call may have run);
 *   - MG_DEADLINE_EXCEEDED, reason STILL_WAITING: mg_wait_message() gave up;
 *   - MG_INTERNAL, reason BAD_RESPONSE: the response did not parse;
 *   - MG_INVALID_ARGUMENT, reason BAD_ARGUMENTS; MG_RESOURCE_EXHAUSTED,
 *     reason OUT_OF_MEMORY.
 * Owned strings are freed by mg_error_free(). message and reason are never
 * NULL after a failed call unless memory ran out while making them.
 */
typedef struct mg_error {
    int code;                        /* an enum mg_code value; MG_OK when there was no error */
    const char *name;                /* mg_code_name(code), e.g. "INVALID_ARGUMENT"; static */
    char *message;                   /* for people; never contains secrets */
    char *reason;                    /* machine-readable UPPER_SNAKE_CASE, often "" */
    size_t n_violations;             /* invalid request fields (INVALID_ARGUMENT) */
    mg_field_violation *violations;  /* NULL when n_violations == 0 */
    uint64_t retry_after_ms;         /* 0 = no retry hint */
    int from_server;                 /* 1: sent by the server; 0: made by this client */
} mg_error;

/*
 * Connects to host:port over TCP (host is a name or a numeric IPv4/IPv6
 * address; every address getaddrinfo() returns is tried in order) and sets
 * TCP_NODELAY. The connect itself is blocking, with the OS's timeout.
 *
 * Returns a new client, or NULL on failure with a NUL-terminated description
 * written to err (when err is not NULL and errlen > 0; truncated to errlen).
 */
mg_client *mg_connect(const char *host, uint16_t port, char *err, size_t errlen);

/*
 * Like mg_connect(), with options (NULL = plain TCP, as mg_connect). With
 * opts->tls the TLS handshake completes here, so an untrusted certificate or a
 * wrong name fails the connect with err saying why, e.g. "... the server's
 * certificate is not trusted for mail.example.com: self-signed certificate".
 */
mg_client *mg_connect_with(const char *host, uint16_t port, const mg_options *opts,
                           char *err, size_t errlen);

/* Closes the connection (with a TLS close_notify) and frees the client. NULL is allowed. */
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
 *    and reports code MG_DEADLINE_EXCEEDED, reason "DEADLINE_EXCEEDED",
 *    from_server 0 (a late reply is skipped by a later call; the call may
 *    have run). With 0 it waits as long as the connection stays open.
 *
 * With api_key set and req_len + 1024 > MG_UNAUTHENTICATED_FRAME_ALLOWANCE on
 * a connection where no call was authenticated yet, a WhoAmI with the key goes
 * first; if it fails, its status is the call's.
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

/* ------------------------------------------------------------------ */
/* typed calls                                                         */
/*
 * Every typed call returns 0 on success with *out set to a response message
 * the caller frees with the generated *_free_unpacked(*out, NULL) (out may be
 * NULL to discard it), or -1 with *err describing the failure (free it with
 * mg_error_free()) and *out NULL. *err is overwritten (not freed) on entry.
 *
 * api_key (NULL = none) and timeout_ms behave as in mg_call(): the deadline is
 * per call, sent to the server and enforced by the client with a slack of
 * MG_DEADLINE_SLACK_MS.
 */

/* Frees what an mg_error owns and resets it to code MG_OK. NULL is allowed. */
void mg_error_free(mg_error *err);

/*
 * Calls any method with a request message and parses the response as
 * resp_type (e.g. &mailgate__v1__list_servers_response__descriptor); *out is
 * then freed with protobuf_c_message_free_unpacked(*out, NULL).
 */
int mg_call_message(mg_client *c, const char *method, const char *api_key, uint32_t timeout_ms,
                    const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_type,
                    ProtobufCMessage **out, mg_error *err);

/* /mailgate.v1.Health/Check (no key needed). */
int mg_check(mg_client *c, uint32_t timeout_ms, Mailgate__V1__CheckResponse **out,
             mg_error *err);

/* /mailgate.v1.Health/WhoAmI: which key this is. */
int mg_whoami(mg_client *c, const char *api_key, uint32_t timeout_ms,
              Mailgate__V1__WhoAmIResponse **out, mg_error *err);

/*
 * /mailgate.v1.Mailer/SendMail. OK means stored durably; delivery happens
 * later (see mg_wait_message). A bad request fails with MG_INVALID_ARGUMENT
 * and err->violations naming the fields, e.g. "to[0].address". A large
 * request (attachments) on a new connection is preceded by a WhoAmI (see
 * MG_UNAUTHENTICATED_FRAME_ALLOWANCE).
 */
int mg_send_mail(mg_client *c, const char *api_key, uint32_t timeout_ms,
                 const Mailgate__V1__SendMailRequest *req, Mailgate__V1__SendMailResponse **out,
                 mg_error *err);

/* /mailgate.v1.Mailer/GetMessage: a message's state and delivery history. */
int mg_get_message(mg_client *c, const char *api_key, uint32_t timeout_ms,
                   const Mailgate__V1__GetMessageRequest *req,
                   Mailgate__V1__GetMessageResponse **out, mg_error *err);

/*
 * Polls GetMessage every MG_WAIT_POLL_MS until the message is in a final state
 * (SENT, FAILED or CANCELLED) and returns that response; each poll has the
 * deadline timeout_ms. After wait_ms without a final state it fails with
 * MG_DEADLINE_EXCEEDED, reason STILL_WAITING (from_server 0).
 */
int mg_wait_message(mg_client *c, const char *api_key, const char *message_id, uint32_t wait_ms,
                    uint32_t timeout_ms, Mailgate__V1__GetMessageResponse **out, mg_error *err);

/*
 * /mailgate.v1.Mailer/ValidateServer: diagnoses an output server step by step.
 * A failed check is not an error: see (*out)->ok and (*out)->checks. Leave
 * req->_send_test_message_case unset for the default (send a test message), or
 * set it with req->send_test_message = 0 to skip it.
 */
int mg_validate_server(mg_client *c, const char *api_key, uint32_t timeout_ms,
                       const Mailgate__V1__ValidateServerRequest *req,
                       Mailgate__V1__ValidateServerResponse **out, mg_error *err);

/*
 * /mailgate.v1.Mailer/RefreshToken: forces an OAuth token refresh. Failures
 * are statuses, e.g. MG_FAILED_PRECONDITION with reason NOT_OAUTH or
 * CLIENT_SECRET_EXPIRED, MG_UNAVAILABLE with retry_after_ms.
 */
int mg_refresh_token(mg_client *c, const char *api_key, uint32_t timeout_ms,
                     const Mailgate__V1__RefreshTokenRequest *req,
                     Mailgate__V1__RefreshTokenResponse **out, mg_error *err);

/* "QUEUED", "SENDING", "SENT", "FAILED", "CANCELLED" or "UNSPECIFIED"; static. */
const char *mg_message_state_name(int state);

/* Whether a MessageState is final (SENT, FAILED or CANCELLED). */
int mg_message_state_is_final(int state);

/*
 * The name of a status code, e.g. "UNAUTHENTICATED" for 16; "UNRECOGNIZED"
 * for a code this client does not know. Never NULL; a static string.
 */
const char *mg_code_name(int code);

#ifdef __cplusplus
}
#endif

#endif /* MAILGATE_H */
