// redis_leased: leased_token_bucket with its central bucket in redis-server.
// Each thread leases a batch of permits with one round trip (a Lua script,
// redis_scripts.h) and spends it locally, so most requests never leave the
// process; leases shrink as the shared budget runs low and expire so that
// permits a thread strands go back to the bucket.
//
//  - Lease size: max(n, clamp(available / (2*T), 1, m)), T = handles sharing
//    the key over all processes (Options::store_threads), m = max_lease
//    (default max(1, B / (8*T))). The rule runs in the script, against the
//    shared budget, so processes that never talk to each other still share.
//  - A lease lives lease_ttl (default W/10) on the client's clock; the owner
//    gives back an expired lease's rest before leasing anew, and tick() gives
//    back the rest of threads that stopped asking. Giving back r permits
//    lowers the TAT by r*I, which undoes exactly their lease.
//
// Promise (approximate), T and m as above, in the server's time:
//   over-admission: in any closed interval of length t at most
//     B + floor(t / I) + T*m permits. The bucket's promise covers every
//     permit leased; permits leased before the interval and spent in it are
//     extra, and the leases outstanding over all processes are at most T*m.
//   under-admission: at most T*m permits sit in leases at any moment, and an
//   unspent lease returns within lease_ttl plus one tick. A refused thread
//   remembers until when the server said n permits would not fit (at most
//   n*I ahead) and refuses locally until then, so that a spent budget costs
//   no round trip per request; permits given back by others meanwhile wait
//   for that moment. A give-back that
//   fails (server unreachable) loses those permits: it errs toward refusing.
// As for redis_gcra, a restarted server forgets the bucket (one extra B).
//
// Failure: as redis_gcra (fail closed, store_refusals, bounded backoff); a
// thread still spends a lease it holds while the server is down.
#ifndef RATELAB_VARIANTS_REDIS_LEASED_H_
#define RATELAB_VARIANTS_REDIS_LEASED_H_

#include <algorithm>
#include <array>
#include <atomic>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "variants/gcra.h"
#include "variants/lease_slots.h"
#include "variants/limiter.h"
#include "variants/redis_client.h"
#include "variants/redis_scripts.h"

namespace ratelab {

template <class Clock>
class RedisLeased {
 public:
  static constexpr std::string_view kName = "redis_leased";
  static constexpr std::string_view kDescription =
      "leased token bucket whose central bucket is in redis-server";
  static constexpr int kMaxThreads = kMaxThreadsLimit;
  static constexpr bool kNeedsTick = true;  // gives back idle threads' leases
  static constexpr bool kStoreBacked = true;
  // The in-process variant with the same algorithm, which the report sets
  // beside this one to show what keeping the state in redis costs.
  static constexpr std::string_view kMirrors = "leased_token_bucket";
  struct Handle {
    int index = 0;
    std::unique_ptr<RedisClient> client;
    uint64_t store_refusals = 0;  // refused because the server was unreachable
    // After a refusal: until this Clock time, requests of refused_n or more
    // permits cannot fit (the server said so).
    int64_t refuse_until = std::numeric_limits<int64_t>::min();
    uint64_t refused_n = 0;
  };

  static absl::StatusOr<std::unique_ptr<RedisLeased>> Create(
      const Limits& limits, const Options& options, Clock clock = Clock{}) {
    if (auto s = ValidateCommon(limits, options, kMaxThreads); !s.ok()) return s;
    auto params = redis_scripts::Params(kName, limits);
    if (!params.ok()) return params.status();
    if (options.store_threads < 0 || options.store_threads > kMaxThreadsLimit * 1024) {
      return absl::InvalidArgumentError(absl::StrCat(
          "store_threads=", options.store_threads, ": must be 0..",
          kMaxThreadsLimit * 1024));
    }
    const int sharing = options.store_threads == 0
                            ? options.max_threads
                            : std::max(options.store_threads, options.max_threads);
    auto lease = LeaseParams::Make(limits, options, sharing);
    if (!lease.ok()) return lease.status();
    auto store = redis_scripts::OpenStore(kName, options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<RedisLeased>(
        new RedisLeased(limits, *params, std::move(*store), options.max_threads,
                        sharing, lease->max_lease, lease->ttl_ns, clock));
  }

  Handle MakeHandle(int thread_index) {
    Handle h{thread_index, NewClient()};
    (void)h.client->Connect();  // if it fails, requests fail closed
    return h;
  }

  bool try_acquire(Handle& h, uint64_t n = 1) noexcept {
    if (!ValidRequest(n, limits_.burst)) return false;
    const int64_t now = clock_.Now();
    if (slots_.TrySpend(h.index, now, n)) return true;
    if (now < h.refuse_until && n >= h.refused_n) return false;
    // What is left (expired, or too small for n) goes back first, so it is
    // not stranded while this thread holds a fresh lease.
    GiveBack(*h.client, slots_.TakeAll(h.index));
    std::array<int64_t, 8> args{params_.interval_ns, params_.tau_ns};
    redis_scripts::TimeArgs(clock_, &args[2]);
    args[5] = static_cast<int64_t>(n);
    args[6] = static_cast<int64_t>(max_lease_);
    args[7] = sharing_;
    auto got = h.client->Run(kLeaseScript, store_.key, args);
    if (!got.ok()) {
      ++h.store_refusals;
      return false;
    }
    if (*got < 0) {
      h.refuse_until = now - *got;
      h.refused_n = n;
      return false;
    }
    const auto g = static_cast<uint64_t>(*got);
    if (g < n) return false;
    if (g > n) slots_.Hold(h.index, g - n, now + ttl_);
    return true;
  }

  // Gives back the leases that have expired, including those of threads that
  // stopped asking. Called from one ticker thread, which has its own
  // connection.
  void tick(int64_t now) noexcept {
    slots_.ReclaimExpired(now, [this](uint64_t r) { GiveBack(*tick_client_, r); });
  }

  Promise promise() const {
    return params_.MakePromise(
        limits_, Promise::SatMul(static_cast<uint64_t>(sharing_), max_lease_),
        absl::StrCat("approximate: B + t/I + T*m (T=", sharing_,
                     " handles over all processes, m=", max_lease_,
                     " max lease), in server time"));
  }
  uint64_t max_lease() const { return max_lease_; }
  int64_t lease_ttl_ns() const { return ttl_; }
  const std::string& key() const { return store_.key; }

  // Permits this process holds in leases (for tests).
  uint64_t Outstanding() const { return slots_.Outstanding(); }

 private:
  static constexpr int kLeaseScript = 0;
  static constexpr int kGiveBackScript = 1;

  RedisLeased(const Limits& limits, const GcraParams& params,
              redis_scripts::Store store, int threads, int sharing,
              uint64_t lease, int64_t ttl, Clock clock)
      : limits_(limits),
        params_(params),
        store_(std::move(store)),
        sharing_(sharing),
        max_lease_(lease),
        ttl_(ttl),
        clock_(clock),
        slots_(threads),
        tick_client_(NewClient()) {}

  std::unique_ptr<RedisClient> NewClient() const {
    return std::make_unique<RedisClient>(
        store_.endpoint,
        std::vector<std::string>{redis_scripts::Lease(), redis_scripts::kGiveBack});
  }

  void GiveBack(RedisClient& c, uint64_t r) noexcept {
    if (r == 0) return;
    const std::array<int64_t, 1> args{-static_cast<int64_t>(r) * params_.interval_ns};
    (void)c.Run(kGiveBackScript, store_.key, args);
  }

  const Limits limits_;
  const GcraParams params_;
  const redis_scripts::Store store_;
  const int sharing_;
  const uint64_t max_lease_;
  const int64_t ttl_;
  Clock clock_;
  LeaseSlots slots_;
  std::unique_ptr<RedisClient> tick_client_;
};

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_REDIS_LEASED_H_
