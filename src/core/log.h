/*
 * log.h: leveled logging to stderr. The macros test the level before formatting anything; debug
 * lines compile out unless DEBUG is defined. Connection lines carry a prefix such as
 * "C-3 127.0.0.1:9042". Tokens, passwords and request bodies never reach the log.
 */
#ifndef CORE_LOG_H
#define CORE_LOG_H

enum log_level {
    LOG_ERROR = 0,
    LOG_WARN,
    LOG_INFO,
    LOG_DEBUG,
};

extern int log_level_current;

void log_write(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int log_level_parse(const char *name);      /* -1 when unknown */

#define log_at(level, ...)                                                                         \
    do {                                                                                           \
        if ((level) <= log_level_current) {                                                        \
            log_write((level), __VA_ARGS__);                                                       \
        }                                                                                          \
    } while (0)

#define log_error(...) log_at(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_at(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_at(LOG_INFO, __VA_ARGS__)
#ifdef DEBUG
#define log_debug(...) log_at(LOG_DEBUG, __VA_ARGS__)
#else
#define log_debug(...) do { } while (0)
#endif

#endif /* CORE_LOG_H */
