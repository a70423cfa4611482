// What the leased variants (leased_token_bucket, redis_leased) share: how big
// a lease may be and how long it lives, and the per-thread slots that hold
// leased permits.
//
// Permits live in exactly one place: the central bucket, or one slot's
// `remaining`. The owner spends with CAS on `remaining`; giving back and
// reclaiming take everything with exchange(0), so no permit is spent twice or
// lost between the owner and the thread that reclaims expired leases.
#ifndef RATELAB_VARIANTS_LEASE_SLOTS_H_
#define RATELAB_VARIANTS_LEASE_SLOTS_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "variants/limiter.h"

namespace ratelab {

// Lease sizing shared by the leased variants (leased_token_bucket,
// redis_leased): the largest lease m (default max(1, B / (8*T)), so T leases
// hold at most B/8) and how long a lease lives (default W/10), for T handles
// sharing the bucket.
struct LeaseParams {
  uint64_t max_lease = 0;
  int64_t ttl_ns = 0;

  static absl::StatusOr<LeaseParams> Make(const Limits& limits,
                                          const Options& options, int sharing) {
    LeaseParams p;
    p.max_lease = options.max_lease;
    if (p.max_lease == 0) {
      p.max_lease =
          std::max<uint64_t>(1, limits.burst / (8 * static_cast<uint64_t>(sharing)));
    }
    if (p.max_lease > limits.burst) {
      return absl::InvalidArgumentError(absl::StrCat(
          "max_lease=", p.max_lease, " exceeds burst B=", limits.burst));
    }
    p.ttl_ns = options.lease_ttl_ns;
    if (p.ttl_ns < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("lease_ttl=", p.ttl_ns, "ns: must be positive"));
    }
    if (p.ttl_ns == 0) p.ttl_ns = std::max<int64_t>(1, limits.window_ns / 10);
    return p;
  }
};

class LeaseSlots {
 public:
  explicit LeaseSlots(int threads) : slots_(static_cast<std::size_t>(threads)) {}

  // Spends n permits of thread i's lease if it has not expired at `now` and
  // holds at least n.
  bool TrySpend(int i, int64_t now, uint64_t n) noexcept {
    Slot& s = slots_[static_cast<std::size_t>(i)];
    if (now >= s.expiry.load(std::memory_order_relaxed)) return false;
    uint64_t r = s.remaining.load(std::memory_order_relaxed);
    while (r >= n) {
      if (s.remaining.compare_exchange_weak(r, r - n, std::memory_order_relaxed)) {
        return true;
      }
    }
    return false;
  }

  // Empties thread i's slot; returns what it held.
  uint64_t TakeAll(int i) noexcept {
    return slots_[static_cast<std::size_t>(i)].remaining.exchange(
        0, std::memory_order_relaxed);
  }

  // Thread i now holds `permits`, spendable until `expiry`.
  void Hold(int i, uint64_t permits, int64_t expiry) noexcept {
    Slot& s = slots_[static_cast<std::size_t>(i)];
    s.expiry.store(expiry, std::memory_order_relaxed);
    s.remaining.store(permits, std::memory_order_relaxed);
  }

  // Empties every slot whose lease has expired at `now`, passing what each
  // held to give_back(permits).
  template <class F>
  void ReclaimExpired(int64_t now, F&& give_back) noexcept {
    for (Slot& s : slots_) {
      if (s.expiry.load(std::memory_order_relaxed) <= now &&
          s.remaining.load(std::memory_order_relaxed) != 0) {
        give_back(s.remaining.exchange(0, std::memory_order_relaxed));
      }
    }
  }

  // Permits held in all slots (for tests: the under-admission bound).
  uint64_t Outstanding() const {
    uint64_t sum = 0;
    for (const Slot& s : slots_) sum += s.remaining.load(std::memory_order_relaxed);
    return sum;
  }

 private:
  // One line pair per thread: the owner's CAS must not invalidate another
  // thread's slot (the padding evidence is in limiter.h and REPORT.md).
  struct alignas(kLine128) Slot {
    std::atomic<uint64_t> remaining{0};
    std::atomic<int64_t> expiry{0};
  };
  std::vector<Slot> slots_;
};

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_LEASE_SLOTS_H_
