// The printf-style (va_list) log callbacks of libinput, xkbcommon and
// libseat, which Swift cannot implement: each formats the line and hands it
// to a Swift sink.
#ifndef WSK_CLOGSINKS_H
#define WSK_CLOGSINKS_H

struct libinput;
struct xkb_context;

/// A log line already formatted; `priority` is the library's own priority
/// value; `context` is the instance's user data (see below).
typedef void (*wsk_log_sink)(void *context, int priority, const char *line);

/// Route libinput's log handler to `sink`. The sink gets
/// `libinput_get_user_data(li)` as its context, so each instance logs to its
/// own owner. One sink function per process (the last one set).
void wsk_libinput_set_log_sink(struct libinput *li, wsk_log_sink sink);

/// Route xkbcommon's log function to `sink`. The sink gets
/// `xkb_context_get_user_data(ctx)` as its context. One sink function per
/// process (the last one set).
void wsk_xkb_set_log_sink(struct xkb_context *ctx, wsk_log_sink sink);

/// Route libseat's log handler to `sink`. libseat's handler is global: the
/// context is always NULL.
void wsk_libseat_set_log_sink(wsk_log_sink sink);

#endif
