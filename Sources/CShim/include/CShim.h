// What Swift cannot import directly: libdrm's function-like macros and the
// va_list log callbacks of libinput and xkbcommon. Nothing else belongs here.
#ifndef WSK_CSHIM_H
#define WSK_CSHIM_H

#include <stdint.h>

struct libinput;
struct xkb_context;

/// DRM_FORMAT_XRGB8888 and DRM_FORMAT_ARGB8888 are built by the fourcc_code() macro.
uint32_t wsk_drm_format_xrgb8888(void);
uint32_t wsk_drm_format_argb8888(void);

/// A log line already formatted; `priority` is the library's own priority value.
typedef void (*wsk_log_sink)(void *context, int priority, const char *line);

/// Route libinput's printf-style log handler to `sink`, formatted.
void wsk_libinput_set_log_sink(struct libinput *li, wsk_log_sink sink, void *context);

/// Route xkbcommon's printf-style log function to `sink`, formatted.
void wsk_xkb_set_log_sink(struct xkb_context *ctx, wsk_log_sink sink, void *context);

#endif
