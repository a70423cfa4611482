// The limiter contract: what every ratelab variant is and promises.
//
// A variant V<Clock> is a class with this shape (checked by the Limiter concept
// below), so that the harness and the tests are written once, as templates:
//
//   static constexpr std::string_view kName, kDescription;
//   static constexpr int kMaxThreads;
//   static absl::StatusOr<std::unique_ptr<V>> Create(const Limits&,
//                                                    const Options&,
//                                                    Clock = Clock{});
//   typename V::Handle MakeHandle(int thread_index);   // once per thread
//   bool try_acquire(Handle&, uint64_t n = 1) noexcept; // never blocks
//   void tick(int64_t now_ns) noexcept;   // background work; may do nothing
//   static constexpr bool kNeedsTick;     // whether tick() must be driven
//   Promise promise() const;              // what it admits, as data
//
// Create() rejects bad configuration with a message that names the bad value;
// nothing is wrapped around or silently clamped. try_acquire with n == 0 or
// n > burst returns false and changes no state. All counters are 64-bit.
#ifndef RATELAB_VARIANTS_LIMITER_H_
#define RATELAB_VARIANTS_LIMITER_H_

#include <concepts>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace ratelab {

// Long-run rate is limit / window permits per second of window. Burst is the
// most one interval may take at once (token buckets) and the largest n a single
// request may ask for. WithDefaultBurst sets burst = limit, as DESIGN says.
struct Limits {
  uint64_t limit = 0;      // L, permits per window
  int64_t window_ns = 0;   // W
  uint64_t burst = 0;      // B

  static Limits WithDefaultBurst(uint64_t limit, int64_t window_ns) {
    return Limits{limit, window_ns, limit};
  }
};

// Per-variant tuning knobs. Zero means "the variant's documented default".
struct Options {
  int max_threads = 1;        // how many handles may exist
  uint64_t shard_quota = 0;   // sharded variants: permits per shard per tick
  uint64_t max_lease = 0;     // leased variants: largest lease
  int64_t lease_ttl_ns = 0;   // leased variants: how long a lease lives
  // Store-backed variants (redis_*): the server ("host:port"; empty: the
  // process default, see redis_client.h), the key holding the limit (empty:
  // a fresh key, so the limiter shares with no one), and how many handles
  // share that key across all processes (0: max_threads), which sizes leases
  // and the over-admission bound.
  std::string redis_address = {};
  std::string redis_key = {};
  int store_threads = 0;
};

// The most a variant may admit, as data the tests and the accuracy metrics
// check. Two shapes cover every variant:
//   kTokenBucket: in any closed interval of length t, at most
//                 burst + floor(t / interval_ns) + slack permits.
//   kFixedWindow: in each window of length interval_ns, at most
//                 burst + slack permits (burst holds L here); a closed
//                 interval of length t > 0 meets at most ceil(t / W) + 1
//                 aligned windows (+1 for the approximate variants, whose
//                 windows start at a tick, not on the boundary).
//   kUnbounded:   no limit (the null baseline).
// exact == true means slack == 0 and the bound is a hard guarantee under any
// interleaving. Approximate variants state their slack and why in `bound_note`.
struct Promise {
  enum class Kind { kUnbounded, kTokenBucket, kFixedWindow };
  Kind kind = Kind::kUnbounded;
  bool exact = true;
  uint64_t burst = 0;
  int64_t interval_ns = 0;
  uint64_t slack = 0;
  std::string bound_note;

  static constexpr uint64_t kNoBound = std::numeric_limits<uint64_t>::max();

  // Most permits admitted in any closed interval of length t_ns (>= 0).
  // Saturates at kNoBound instead of overflowing.
  uint64_t MaxAdmitted(int64_t t_ns) const;

  // Most permits in one aligned window (kFixedWindow only; else kNoBound).
  uint64_t PerWindow() const {
    return kind == Kind::kFixedWindow ? SatAdd(burst, slack) : kNoBound;
  }

  std::string_view KindName() const;

  static uint64_t SatAdd(uint64_t a, uint64_t b) {
    return a > kNoBound - b ? kNoBound : a + b;
  }
  static uint64_t SatMul(uint64_t a, uint64_t b) {
    return (b != 0 && a > kNoBound / b) ? kNoBound : a * b;
  }
};

// Largest thread count any variant accepts; bench_all's --threads shares it.
inline constexpr int kMaxThreadsLimit = 4096;

// Checks shared by every variant's Create(): L, W, B and the thread count.
absl::Status ValidateCommon(const Limits& limits, const Options& options,
                            int max_threads);

// Checks that a (tag, count) packed word with kCountBits of count can hold
// limit + max_threads * burst: the worst a window's count can reach when every
// thread adds a request that is then refused.
absl::Status ValidatePackedCount(const Limits& limits, int max_threads,
                                 int count_bits);

template <class V>
concept Limiter = requires(V& v, typename V::Handle& h, uint64_t n, int64_t t,
                           int i) {
  { V::kName } -> std::convertible_to<std::string_view>;
  { V::kDescription } -> std::convertible_to<std::string_view>;
  { V::kMaxThreads } -> std::convertible_to<int>;
  { V::kNeedsTick } -> std::convertible_to<bool>;
  { v.MakeHandle(i) } -> std::same_as<typename V::Handle>;
  { v.try_acquire(h, n) } noexcept -> std::same_as<bool>;
  { v.tick(t) } noexcept;
  { v.promise() } -> std::same_as<Promise>;
};

// Cache-line sizes used for padding. 64 bytes is the x86 line. 128 is a pair
// of lines: Intel's spatial prefetcher fetches lines in 128-byte-aligned
// pairs, and folly (folly/lang/Align.h) pads to 128 because its
// microbenchmarks saw pairs of lines interfere under atomic increments on
// Sandy Bridge. The sharded_padded variant is built at both widths so a run
// shows whether the wider pad buys anything on the machine at hand; on the
// 2-vCPU AMD EPYC guest of results/ it did not (see REPORT.md).
inline constexpr std::size_t kLine64 = 64;
inline constexpr std::size_t kLine128 = 128;

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_LIMITER_H_
