// Byte search primitives for the hot paths (line ends, framing bytes), SSE2 where available.
#pragma once

#include <cstddef>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace hl7::detail {

// First byte in [p, end) equal to a or b; end if none.
inline const char* find_either(const char* p, const char* end, char a, char b) {
#if defined(__SSE2__)
    const __m128i va = _mm_set1_epi8(a);
    const __m128i vb = _mm_set1_epi8(b);
    while (end - p >= 16) {
        __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        int mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(chunk, va), _mm_cmpeq_epi8(chunk, vb)));
        if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
        p += 16;
    }
#endif
    for (; p < end; ++p)
        if (*p == a || *p == b) return p;
    return end;
}

// First byte in [p, end) equal to a, b or c; end if none.
inline const char* find_any3(const char* p, const char* end, char a, char b, char c) {
#if defined(__SSE2__)
    const __m128i va = _mm_set1_epi8(a);
    const __m128i vb = _mm_set1_epi8(b);
    const __m128i vc = _mm_set1_epi8(c);
    while (end - p >= 32) {
        __m128i c0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        __m128i c1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
        __m128i m0 = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(c0, va), _mm_cmpeq_epi8(c0, vb)),
                                  _mm_cmpeq_epi8(c0, vc));
        __m128i m1 = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(c1, va), _mm_cmpeq_epi8(c1, vb)),
                                  _mm_cmpeq_epi8(c1, vc));
        unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(m0)) |
                        (static_cast<unsigned>(_mm_movemask_epi8(m1)) << 16);
        if (mask != 0) return p + __builtin_ctz(mask);
        p += 32;
    }
#endif
    for (; p < end; ++p)
        if (*p == a || *p == b || *p == c) return p;
    return end;
}

inline const char* find_byte(const char* p, const char* end, char a) {
    if (p == end) return end;  // an empty view may have a null data pointer, which memchr must not get
    const void* hit = std::memchr(p, static_cast<unsigned char>(a), static_cast<std::size_t>(end - p));
    return hit ? static_cast<const char*>(hit) : end;
}

}  // namespace hl7::detail
