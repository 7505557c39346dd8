// Bulk pixel writes with non-temporal (streaming) stores: SSE2 intrinsics,
// which Swift cannot call. The compositor's only C.
#ifndef WSK_CPIXELSTREAM_H
#define WSK_CPIXELSTREAM_H

#include <stddef.h>
#include <stdint.h>

/// Whole 64-byte lines of `dst` go to memory without being read into the
/// cache first or evicting anything; the partial lines at either end use
/// ordinary stores. For large frames whose destination is not read back
/// soon. Where SSE2 is missing they are memcpy and a plain loop. The two
/// ranges must not overlap.
void wsk_stream_copy(void *dst, const void *src, size_t bytes);
/// `count` copies of `value` from `dst`, which is 4-byte aligned.
void wsk_stream_fill32(uint32_t *dst, uint32_t value, size_t count);
/// Streaming stores are weakly ordered: call this after the last of them and
/// before another thread or a device reads the pixels (and before the pixels
/// are handed on as a presented frame).
void wsk_stream_fence(void);

#endif
