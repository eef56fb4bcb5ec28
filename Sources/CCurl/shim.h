// Typed wrappers around libcurl's variadic functions, which Swift cannot call directly.
#ifndef MAILGATE_CCURL_SHIM_H
#define MAILGATE_CCURL_SHIM_H

#include <curl/curl.h>

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

#endif
