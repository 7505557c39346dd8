/* Streaming (non-temporal) stores for the compositor's bulk pixel writes.
 *
 * A frame is written once and then only scanned out (or, headless, kept as
 * the front buffer), so caching it gains nothing: with ordinary stores each
 * 64-byte line of the back buffer is first read from memory (read for
 * ownership), then evicts something useful, then is written back. A full
 * 1920x1080 frame into two alternating buffers, with the window surfaces it
 * reads, does not fit in the cache. Streaming stores write whole lines
 * straight to memory. Only whole, aligned lines are streamed: a partial line
 * written that way is merged in memory and costs more than it saves. */
#include "CPixelStream.h"

#include <string.h>

static void fill32(uint32_t *dst, uint32_t value, size_t count) {
    for (size_t i = 0; i < count; i++) dst[i] = value;
}

#if defined(__SSE2__)
#include <emmintrin.h>

enum { line_bytes = 64, line_pixels = line_bytes / sizeof(uint32_t) };

/* Bytes from `p` to the next line boundary (0 when on one). */
static size_t to_line_boundary(const void *p) {
    return (size_t)(-(uintptr_t)p) & (line_bytes - 1);
}

void wsk_stream_copy(void *dst, const void *src, size_t bytes) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    size_t head = to_line_boundary(d);
    if (bytes < head + line_bytes) {
        memcpy(d, s, bytes);
        return;
    }
    memcpy(d, s, head);
    d += head;
    s += head;
    bytes -= head;
    for (; bytes >= line_bytes; bytes -= line_bytes, d += line_bytes, s += line_bytes) {
        __m128i a = _mm_loadu_si128((const __m128i *)s);
        __m128i b = _mm_loadu_si128((const __m128i *)(s + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(s + 32));
        __m128i e = _mm_loadu_si128((const __m128i *)(s + 48));
        _mm_stream_si128((__m128i *)d, a);
        _mm_stream_si128((__m128i *)(d + 16), b);
        _mm_stream_si128((__m128i *)(d + 32), c);
        _mm_stream_si128((__m128i *)(d + 48), e);
    }
    memcpy(d, s, bytes);
}

void wsk_stream_fill32(uint32_t *dst, uint32_t value, size_t count) {
    size_t head = to_line_boundary(dst) / sizeof *dst;
    if (count < head + line_pixels) {
        fill32(dst, value, count);
        return;
    }
    fill32(dst, value, head);
    dst += head;
    count -= head;
    __m128i v = _mm_set1_epi32((int)value);
    for (; count >= line_pixels; count -= line_pixels, dst += line_pixels) {
        _mm_stream_si128((__m128i *)dst, v);
        _mm_stream_si128((__m128i *)(dst + 4), v);
        _mm_stream_si128((__m128i *)(dst + 8), v);
        _mm_stream_si128((__m128i *)(dst + 12), v);
    }
    fill32(dst, value, count);
}

void wsk_stream_fence(void) { _mm_sfence(); }

#else

void wsk_stream_copy(void *dst, const void *src, size_t bytes) { memcpy(dst, src, bytes); }

void wsk_stream_fill32(uint32_t *dst, uint32_t value, size_t count) { fill32(dst, value, count); }

void wsk_stream_fence(void) {}

#endif
