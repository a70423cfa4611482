// Small arithmetic shared by the variants.
#ifndef RATELAB_VARIANTS_UTIL_H_
#define RATELAB_VARIANTS_UTIL_H_

#include <cstdint>

// Debian's Abseil libraries are not built with -fsanitize=thread, so
// ThreadSanitizer cannot see absl::Mutex's lock and unlock and would report
// the data it guards as raced. Code that locks an absl::Mutex tells TSan
// about the happens-before edge itself; outside TSan builds these vanish.
#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#define RATELAB_TSAN_ACQUIRE(addr) __tsan_acquire(addr)
#define RATELAB_TSAN_RELEASE(addr) __tsan_release(addr)
#else
#define RATELAB_TSAN_ACQUIRE(addr) ((void)(addr))
#define RATELAB_TSAN_RELEASE(addr) ((void)(addr))
#endif

namespace ratelab {

// Floor division for possibly negative clock values (a ManualClock may start
// below zero); C++'s '/' truncates toward zero, which would put t = -1 and
// t = +1 into the same window.
constexpr int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// The contract's rule for request sizes, shared so every variant agrees:
// n == 0 or n > burst is refused without touching state.
constexpr bool ValidRequest(uint64_t n, uint64_t burst) {
  return n != 0 && n <= burst;
}

constexpr uint64_t CeilDiv(uint64_t a, uint64_t b) { return a / b + (a % b != 0); }

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_UTIL_H_
