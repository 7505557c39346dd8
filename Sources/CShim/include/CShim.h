// What Swift cannot import directly: libdrm's function-like macros, the
// va_list log callbacks of libinput and xkbcommon, variadic ioctls, and the
// SSE2 streaming-store intrinsics the compositor's bulk pixel writes use.
// Nothing else belongs here.
#ifndef WSK_CSHIM_H
#define WSK_CSHIM_H

#include <stddef.h>
#include <stdint.h>

struct libinput;
struct xkb_context;

/// DRM_FORMAT_XRGB8888 and DRM_FORMAT_ARGB8888 are built by the fourcc_code() macro.
uint32_t wsk_drm_format_xrgb8888(void);
uint32_t wsk_drm_format_argb8888(void);

/// A log line already formatted; `priority` is the library's own priority
/// value; `context` is the instance's user data (see below).
typedef void (*wsk_log_sink)(void *context, int priority, const char *line);

/// Route libinput's printf-style log handler to `sink`, formatted. The sink
/// gets `libinput_get_user_data(li)` as its context, so each instance logs
/// to its own owner. One sink function per process (the last one set).
void wsk_libinput_set_log_sink(struct libinput *li, wsk_log_sink sink);

/// Route xkbcommon's printf-style log function to `sink`, formatted. The sink
/// gets `xkb_context_get_user_data(ctx)` as its context. One sink function
/// per process (the last one set).
void wsk_xkb_set_log_sink(struct xkb_context *ctx, wsk_log_sink sink);

/// Route libseat's printf-style log handler to `sink`, formatted. libseat's
/// handler is global: the context is always NULL.
void wsk_libseat_set_log_sink(wsk_log_sink sink);

/// A virtual terminal's display and keyboard modes (ioctl is variadic, so
/// Swift cannot call it). Each returns 0 or -errno; on a tty that is not a VT
/// (a pseudo-terminal) they fail with -ENOTTY or -EINVAL.
int wsk_vt_get_display_mode(int fd, int *mode);   /* KDGETMODE: 0 text, 1 graphics */
int wsk_vt_set_display_mode(int fd, int mode);    /* KDSETMODE */
int wsk_vt_get_keyboard_mode(int fd, int *mode);  /* KDGKBMODE */
int wsk_vt_set_keyboard_mode(int fd, int mode);   /* KDSKBMODE; K_OFF = 4 */
int wsk_vt_graphics_mode(void);                   /* KD_GRAPHICS */
int wsk_vt_text_mode(void);                       /* KD_TEXT */
int wsk_vt_keyboard_off(void);                    /* K_OFF */
int wsk_vt_activate(int fd, int vt);              /* VT_ACTIVATE */

/// Bulk pixel writes with non-temporal (streaming) stores: whole 64-byte
/// lines of `dst` go to memory without being read into the cache first or
/// evicting anything; the partial lines at either end use ordinary stores.
/// For large frames whose destination is not read back soon. Where SSE2 is
/// missing they are memcpy and a plain loop. The two ranges must not overlap.
void wsk_stream_copy(void *dst, const void *src, size_t bytes);
/// `count` copies of `value` from `dst`, which is 4-byte aligned.
void wsk_stream_fill32(uint32_t *dst, uint32_t value, size_t count);
/// Streaming stores are weakly ordered: call this after the last of them and
/// before another thread or a device reads the pixels (and before the pixels
/// are handed on as a presented frame).
void wsk_stream_fence(void);

#endif
