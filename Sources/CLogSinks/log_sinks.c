#include "CLogSinks.h"

#include <libinput.h>
#include <libseat.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <xkbcommon/xkbcommon.h>

/* The sink function is shared; its context is each instance's user data, so
 * two instances (tests run many at once) never log through each other. */
static void format_and_send(wsk_log_sink fn, void *context, int priority, const char *fmt, va_list args) {
    if (!fn) return;
    char line[1024];
    vsnprintf(line, sizeof line, fmt, args);
    fn(context, priority, line);
}

static _Atomic(wsk_log_sink) libinput_sink;

static void libinput_log(struct libinput *li, enum libinput_log_priority p,
                         const char *fmt, va_list args) {
    format_and_send(atomic_load(&libinput_sink), libinput_get_user_data(li), (int)p, fmt, args);
}

void wsk_libinput_set_log_sink(struct libinput *li, wsk_log_sink fn) {
    atomic_store(&libinput_sink, fn);
    libinput_log_set_handler(li, libinput_log);
}

static _Atomic(wsk_log_sink) xkb_sink;

static void xkb_log(struct xkb_context *ctx, enum xkb_log_level level,
                    const char *fmt, va_list args) {
    format_and_send(atomic_load(&xkb_sink), xkb_context_get_user_data(ctx), (int)level, fmt, args);
}

void wsk_xkb_set_log_sink(struct xkb_context *ctx, wsk_log_sink fn) {
    atomic_store(&xkb_sink, fn);
    xkb_context_set_log_fn(ctx, xkb_log);
}

static _Atomic(wsk_log_sink) libseat_sink;

static void libseat_log(enum libseat_log_level level, const char *fmt, va_list args) {
    format_and_send(atomic_load(&libseat_sink), NULL, (int)level, fmt, args);
}

void wsk_libseat_set_log_sink(wsk_log_sink fn) {
    atomic_store(&libseat_sink, fn);
    libseat_set_log_handler(libseat_log);
}
