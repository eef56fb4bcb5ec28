// Typed wrappers around libcurl's variadic functions, which Swift cannot call directly.
#ifndef MAILGATE_CCURL_SHIM_H
#define MAILGATE_CCURL_SHIM_H

#include <curl/curl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static inline CURLcode mg_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode mg_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode mg_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode mg_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

typedef size_t (*mg_curl_read_callback)(char *buffer, size_t size, size_t count, void *userdata);
static inline CURLcode mg_curl_setopt_read_function(CURL *handle, mg_curl_read_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback);
}

static inline CURLcode mg_curl_setopt_write_function(CURL *handle, mg_curl_read_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

/// Response header lines, one call per line (the status line included).
static inline CURLcode mg_curl_setopt_header_function(CURL *handle, mg_curl_read_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
}

static inline CURLcode mg_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

typedef int (*mg_curl_debug_callback)(CURL *handle, curl_infotype type, char *data, size_t size, void *userdata);
static inline CURLcode mg_curl_setopt_debug_function(CURL *handle, mg_curl_debug_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_DEBUGFUNCTION, callback);
}

static inline CURLcode mg_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

// CURLOPT_MAIL_RCPT_ALLOWFAILS (curl >= 8.2) was spelled CURLOPT_MAIL_RCPT_ALLLOWFAILS before;
// the option number is the same: CURLOPTTYPE_LONG + 290.
static inline CURLcode mg_curl_set_rcpt_allow_fails(CURL *handle, long allow) {
    return curl_easy_setopt(handle, (CURLoption)(CURLOPTTYPE_LONG + 290), allow);
}

static inline CURLcode mg_curl_setopt_opensocket_function(CURL *handle, curl_opensocket_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, callback);
}

// Copies the address libcurl is about to connect to into `bytes` (room for 16); returns
// how many bytes it has (4 for IPv4, 16 for IPv6), or 0 for any other family.
static inline int mg_curl_sockaddr_bytes(const struct curl_sockaddr *address, unsigned char *bytes) {
    if (address->family == AF_INET && address->addrlen >= sizeof(struct sockaddr_in)) {
        memcpy(bytes, &((const struct sockaddr_in *)&address->addr)->sin_addr, 4);
        return 4;
    }
    if (address->family == AF_INET6 && address->addrlen >= sizeof(struct sockaddr_in6)) {
        memcpy(bytes, &((const struct sockaddr_in6 *)&address->addr)->sin6_addr, 16);
        return 16;
    }
    return 0;
}

#endif
