#include "CShim.h"

#include <drm_fourcc.h>
#include <libinput.h>
#include <stdarg.h>
#include <stdio.h>
#include <xkbcommon/xkbcommon.h>

uint32_t wsk_drm_format_xrgb8888(void) { return DRM_FORMAT_XRGB8888; }
uint32_t wsk_drm_format_argb8888(void) { return DRM_FORMAT_ARGB8888; }

/* One sink per library instance; the context pointer travels with it. */
struct sink { wsk_log_sink fn; void *context; };

static void format_and_send(const struct sink *s, int priority, const char *fmt, va_list args) {
    if (!s || !s->fn) return;
    char line[1024];
    vsnprintf(line, sizeof line, fmt, args);
    s->fn(s->context, priority, line);
}

static struct sink libinput_sink;

static void libinput_log(struct libinput *li, enum libinput_log_priority p,
                         const char *fmt, va_list args) {
    (void)li;
    format_and_send(&libinput_sink, (int)p, fmt, args);
}

void wsk_libinput_set_log_sink(struct libinput *li, wsk_log_sink fn, void *context) {
    libinput_sink.fn = fn;
    libinput_sink.context = context;
    libinput_log_set_handler(li, libinput_log);
}

static struct sink xkb_sink;

static void xkb_log(struct xkb_context *ctx, enum xkb_log_level level,
                    const char *fmt, va_list args) {
    (void)ctx;
    format_and_send(&xkb_sink, (int)level, fmt, args);
}

void wsk_xkb_set_log_sink(struct xkb_context *ctx, wsk_log_sink fn, void *context) {
    xkb_sink.fn = fn;
    xkb_sink.context = context;
    xkb_context_set_log_fn(ctx, xkb_log);
}
