// redis_gcra: the token bucket kept in redis-server, one GCRA step per request
// in a Lua script (redis_scripts.h) run with EVALSHA: one round trip, atomic
// on the server, the server's TIME as the clock. It is what a fleet of
// processes or machines does to share one limit exactly (the design of
// redis-cell and of many API gateways), and it shows what that costs: every
// request waits for the network and for the single-threaded server.
//
// Promise (exact, in the server's time): in any closed interval of length t
// at most B + floor(t / I) permits, I = ceil(W / L), over every client of the
// key. It holds for the life of the server's memory: redis-server runs
// without persistence here, so a restarted server has forgotten the bucket
// and starts it full (at most one extra burst B per restart).
//
// Failure: one connection per handle (thread). When the server cannot be
// reached the request is refused (fail closed) and counted in the handle's
// store_refusals; the client reconnects with a bounded backoff
// (redis_client.h). try_acquire waits for one round trip, bounded by the
// command timeout (1 s), unlike the in-process variants, which never wait.
#ifndef RATELAB_VARIANTS_REDIS_GCRA_H_
#define RATELAB_VARIANTS_REDIS_GCRA_H_

#include <array>
#include <memory>
#include <string>

#include "variants/gcra.h"
#include "variants/limiter.h"
#include "variants/redis_client.h"
#include "variants/redis_scripts.h"

namespace ratelab {

template <class Clock>
class RedisGcra {
 public:
  static constexpr std::string_view kName = "redis_gcra";
  static constexpr std::string_view kDescription =
      "GCRA in redis-server: one Lua script per request (EVALSHA, one round trip)";
  static constexpr int kMaxThreads = kMaxThreadsLimit;
  static constexpr bool kNeedsTick = false;
  static constexpr bool kStoreBacked = true;
  // The in-process variant with the same algorithm, which the report sets
  // beside this one to show what keeping the state in redis costs.
  static constexpr std::string_view kMirrors = "token_bucket";
  struct Handle {
    std::unique_ptr<RedisClient> client;
    uint64_t store_refusals = 0;  // refused because the server was unreachable
  };

  static absl::StatusOr<std::unique_ptr<RedisGcra>> Create(
      const Limits& limits, const Options& options, Clock clock = Clock{}) {
    if (auto s = ValidateCommon(limits, options, kMaxThreads); !s.ok()) return s;
    auto params = redis_scripts::Params(kName, limits);
    if (!params.ok()) return params.status();
    auto store = redis_scripts::OpenStore(kName, options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<RedisGcra>(
        new RedisGcra(limits, *params, std::move(*store), clock));
  }

  Handle MakeHandle(int) {
    Handle h{std::make_unique<RedisClient>(
        store_.endpoint, std::vector<std::string>{redis_scripts::Gcra()})};
    (void)h.client->Connect();  // if it fails, requests fail closed
    return h;
  }

  bool try_acquire(Handle& h, uint64_t n = 1) noexcept {
    if (!ValidRequest(n, limits_.burst)) return false;
    std::array<int64_t, 6> args{params_.interval_ns, params_.tau_ns};
    redis_scripts::TimeArgs(clock_, &args[2]);
    args[5] = static_cast<int64_t>(n);
    auto r = h.client->Run(0, store_.key, args);
    if (!r.ok()) {
      ++h.store_refusals;
      return false;
    }
    return *r == 1;
  }

  void tick(int64_t) noexcept {}

  Promise promise() const {
    return params_.MakePromise(
        limits_, 0, "exact in server time: one GCRA step per request in redis");
  }
  const std::string& key() const { return store_.key; }
  const RedisEndpoint& endpoint() const { return store_.endpoint; }

 private:
  RedisGcra(const Limits& limits, const GcraParams& params,
            redis_scripts::Store store, Clock clock)
      : limits_(limits), params_(params), store_(std::move(store)), clock_(clock) {}

  const Limits limits_;
  const GcraParams params_;
  const redis_scripts::Store store_;
  Clock clock_;
};

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_REDIS_GCRA_H_
