// A fixed window's state packed into one 64-bit word: the window's tag in the
// top 24 bits, the permits counted in it in the low 40. One word means the
// roll-over to a new window and the count can change together with one CAS,
// and the common case is a single fetch_add.
//
// The tag is the window index modulo 2^24. Tags only move forward: a request
// whose clock is behind the word's window (a stale reading) is refused rather
// than rolling the window back. "Forward" is decided modulo 2^24 (a
// difference below 2^23 is ahead), so a clock that jumps by an exact multiple
// of 2^24 windows between two requests would see the old window's count and
// admit less in that one window, never more.
#ifndef RATELAB_VARIANTS_WINDOW_WORD_H_
#define RATELAB_VARIANTS_WINDOW_WORD_H_

#include <cstdint>

namespace ratelab::window_word {

inline constexpr int kCountBits = 40;
inline constexpr int kTagBits = 64 - kCountBits;
inline constexpr uint64_t kCountMask = (uint64_t{1} << kCountBits) - 1;
inline constexpr uint64_t kTagMask = (uint64_t{1} << kTagBits) - 1;

constexpr uint64_t Tag(int64_t window) {
  return static_cast<uint64_t>(window) & kTagMask;
}
constexpr uint64_t TagOf(uint64_t word) { return word >> kCountBits; }
constexpr uint64_t CountOf(uint64_t word) { return word & kCountMask; }
constexpr uint64_t Pack(uint64_t tag, uint64_t count) {
  return (tag << kCountBits) | count;
}
// How far tag `to` is ahead of tag `from`, modulo 2^24.
constexpr uint64_t Ahead(uint64_t from, uint64_t to) {
  return (to - from) & kTagMask;
}
constexpr bool IsAhead(uint64_t from, uint64_t to) {
  const uint64_t d = Ahead(from, to);
  return d != 0 && d < (uint64_t{1} << (kTagBits - 1));
}

}  // namespace ratelab::window_word

#endif  // RATELAB_VARIANTS_WINDOW_WORD_H_
