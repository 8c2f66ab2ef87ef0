/* log.c - ferry's log lines (ferry/log.h): level, sink and shape, and the
 * call a thread is working on, which every line it logs names. */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/utf8.h"

static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static atomic_int log_level = FERRY_LOG_WARN;
static atomic_int log_format = FERRY_LOG_LOGFMT;

static pthread_mutex_t sink_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sink_cv = PTHREAD_COND_INITIALIZER; /* a sink's calls ended */
static ferry_log_sink sink_fn;
static void *sink_arg;
/* Calls in progress of the sinks set by even and odd generations: setting
 * a sink waits until the previous one's calls have ended, so its owner may
 * free what it passed as `arg` once the setter returns. */
static unsigned sink_gen;
static unsigned sink_calls[2];
/* Sink calls this thread is inside: a setter called from a sink (which
 * log.h forbids) must not wait for its own call to end. */
static __thread unsigned in_sink;

/* The call this thread is handling or making (ferryi_log_context_set). */
static __thread const char *ctx_method;
static __thread uint64_t ctx_call_id;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

const char *ferry_log_level_str(ferry_log_level level)
{
    return (unsigned)level < 4 ? level_names[level] : "unknown";
}

/* A child of fork() has one thread: the sink calls other threads were in,
 * and any hold they had of the lock, stayed with the parent. */
static void sink_after_fork(void)
{
    pthread_mutex_init(&sink_mu, NULL);
    pthread_cond_init(&sink_cv, NULL);
    sink_calls[0] = sink_calls[1] = 0;
    in_sink = 0;
}

static void sink_once(void)
{
    pthread_atfork(NULL, NULL, sink_after_fork);
}

static pthread_once_t sink_once_flag = PTHREAD_ONCE_INIT;

static void log_init(void)
{
    const char *env = getenv("FERRY_LOG");
    if (env != NULL && *env != '\0') {
        int found = 0;
        for (int i = 0; i < 4 && !found; i++)
            if (strcmp(env, level_names[i]) == 0) {
                atomic_store(&log_level, i);
                found = 1;
            }
        if (!found)
            fprintf(stderr,
                    "ferry level=warn where=log msg=\"FERRY_LOG=%.64s is not one of error, warn, "
                    "info, debug; using warn\"\n",
                    env);
    }
    env = getenv("FERRY_LOG_FORMAT");
    if (env != NULL && *env != '\0') {
        if (strcmp(env, "json") == 0)
            atomic_store(&log_format, FERRY_LOG_JSON);
        else if (strcmp(env, "logfmt") != 0)
            fprintf(stderr,
                    "ferry level=warn where=log msg=\"FERRY_LOG_FORMAT=%.64s is neither logfmt "
                    "nor json; using logfmt\"\n",
                    env);
    }
}

void ferry_log_set_level(ferry_log_level level)
{
    pthread_once(&log_once, log_init);
    if ((unsigned)level < 4)
        atomic_store(&log_level, (int)level);
}

ferry_log_level ferry_log_get_level(void)
{
    pthread_once(&log_once, log_init);
    return (ferry_log_level)atomic_load(&log_level);
}

void ferry_log_set_format(ferry_log_format format)
{
    pthread_once(&log_once, log_init);
    if (format == FERRY_LOG_LOGFMT || format == FERRY_LOG_JSON)
        atomic_store(&log_format, (int)format);
}

ferry_log_format ferry_log_get_format(void)
{
    pthread_once(&log_once, log_init);
    return (ferry_log_format)atomic_load(&log_format);
}

void ferry_log_set_sink(ferry_log_sink sink, void *arg)
{
    pthread_once(&sink_once_flag, sink_once);
    pthread_mutex_lock(&sink_mu);
    unsigned old = sink_gen & 1u;
    sink_fn = sink;
    sink_arg = arg;
    sink_gen++;
    while (in_sink == 0 && sink_calls[old] > 0)
        pthread_cond_wait(&sink_cv, &sink_mu);
    pthread_mutex_unlock(&sink_mu);
}

void ferryi_log_context_set(const char *method, uint64_t call_id)
{
    ctx_method = method;
    ctx_call_id = call_id;
}

void ferryi_log_context_clear(void)
{
    ctx_method = NULL;
    ctx_call_id = 0;
}

ferryi_log_context ferryi_log_context_push(const char *method, uint64_t call_id)
{
    ferryi_log_context outer = {ctx_method, ctx_call_id};
    ctx_method = method;
    ctx_call_id = call_id;
    return outer;
}

void ferryi_log_context_pop(ferryi_log_context outer)
{
    ctx_method = outer.method;
    ctx_call_id = outer.call_id;
}

int ferryi_log_enabled(ferryi_log_level level)
{
    pthread_once(&log_once, log_init);
    return (int)level <= atomic_load(&log_level);
}

/* ---- shapes ------------------------------------------------------------- */

typedef struct out {
    char *buf;
    size_t len, n; /* n counts every byte, written or not */
} out;

static void put(out *o, const char *s, size_t k)
{
    if (o->n < o->len) {
        size_t room = o->len - 1 - o->n;
        memcpy(o->buf + o->n, s, k < room ? k : room);
    }
    o->n += k;
}

static void puts_(out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* `v` in double quotes, with quotes and backslashes escaped by a
 * backslash and control characters as \u00XX (`json`) or \xXX (logfmt). */
static void quoted(out *o, const char *v, int json)
{
    put(o, "\"", 1);
    for (const char *p = v; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\') {
            char esc[2] = {'\\', (char)ch};
            put(o, esc, 2);
        } else if (ch < 0x20 || ch == 0x7f) {
            char esc[8];
            snprintf(esc, sizeof esc, json ? "\\u%04x" : "\\x%02x", ch);
            puts_(o, esc);
        } else {
            put(o, p, 1);
        }
    }
    put(o, "\"", 1);
}

/* A logfmt value: bare when it is all safe characters, else quoted. */
static void logfmt_value(out *o, const char *v)
{
    int bare = *v != '\0';
    for (const char *p = v; *p && bare; p++)
        bare = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
               strchr("._/:-+@", *p) != NULL;
    if (bare)
        puts_(o, v);
    else
        quoted(o, v, 0);
}

/* How a field's value is written: as it is (a number), as text (a JSON
 * string; in logfmt bare when it can be), or always quoted. */
enum { AS_IS, TEXT, QUOTED };

static void value(out *o, int json, const char *v, int how)
{
    if (how == AS_IS)
        puts_(o, v);
    else if (json || how == QUOTED)
        quoted(o, v, json);
    else
        logfmt_value(o, v);
}

/* A field after a line's first, in either shape, so that both shapes carry
 * the same fields in the same order: `,"name":value` in JSON, ` name=value`
 * in logfmt. */
static void field(out *o, int json, const char *name, const char *v, int how)
{
    puts_(o, json ? ",\"" : " ");
    puts_(o, name);
    puts_(o, json ? "\":" : "=");
    value(o, json, v, how);
}

size_t ferry_log_format_record(const ferry_log_record *rec, ferry_log_format format, char *buf,
                               size_t len)
{
    out o = {.buf = buf, .len = len};
    /* The record's strings may hold a peer's bytes: make them UTF-8 first. */
    char where[64], msg[1024], method[256];
    ferryi_utf8_copy(where, sizeof where, rec->where != NULL ? rec->where : "");
    ferryi_utf8_copy(msg, sizeof msg, rec->message != NULL ? rec->message : "");
    ferryi_utf8_copy(method, sizeof method, rec->method != NULL ? rec->method : "");
    char id[32];
    snprintf(id, sizeof id, "%llu", (unsigned long long)rec->call_id);
    int json = format == FERRY_LOG_JSON;
    puts_(&o, json ? "{\"level\":" : "ferry level=");
    value(&o, json, ferry_log_level_str(rec->level), TEXT);
    field(&o, json, "where", where, TEXT);
    if (method[0] != '\0')
        field(&o, json, "method", method, TEXT);
    if (rec->call_id != 0)
        field(&o, json, "call_id", id, AS_IS);
    /* msg is always quoted in logfmt, so that a reader finds it the same way. */
    field(&o, json, "msg", msg, QUOTED);
    puts_(&o, json ? "}\n" : "\n");
    if (len > 0)
        buf[o.n < len ? o.n : len - 1] = '\0';
    return o.n;
}

/* Hands the line to the sink, or writes it to stderr. */
static void emit(const ferry_log_record *rec)
{
    pthread_mutex_lock(&sink_mu);
    ferry_log_sink fn = sink_fn;
    void *arg = sink_arg;
    unsigned gen = sink_gen & 1u;
    if (fn != NULL)
        sink_calls[gen]++;
    pthread_mutex_unlock(&sink_mu);
    if (fn != NULL) {
        /* Outside the lock: sinks run at once on many threads. */
        in_sink++;
        fn(arg, rec);
        in_sink--;
        pthread_mutex_lock(&sink_mu);
        if (--sink_calls[gen] == 0)
            pthread_cond_broadcast(&sink_cv);
        pthread_mutex_unlock(&sink_mu);
        return;
    }
    char line[1600];
    ferry_log_format_record(rec, (ferry_log_format)atomic_load(&log_format), line, sizeof line);
    fputs(line, stderr);
}

void ferryi_log_call(ferryi_log_level level, const char *where, const ferryi_log_context *call,
                     const char *fmt, ...)
{
    if (!ferryi_log_enabled(level))
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ferry_log_record rec = {
        .level = (ferry_log_level)level,
        .where = where,
        .message = msg,
        .method = call != NULL ? call->method : ctx_method,
        .call_id = call != NULL ? call->call_id : ctx_call_id,
    };
    emit(&rec);
}
