// The Lua scripts the store-backed variants run on redis-server, and the
// client-side set-up they share.
//
// The bucket is a hash {base, tat}: the GCRA theoretical arrival time (gcra.h)
// kept as nanoseconds after `base` seconds. Why not one absolute number: Lua
// in Redis computes in doubles, exact only below 2^53, and nanoseconds since
// the epoch (~1.7e18) are far above that. Every call rebases to the current
// second, so tat stays below 1e9 + tau, and Create() refuses a tau above 2^52:
// every value the script handles is an exact integer.
//
// Time: the server's TIME (microseconds) unless the call passes a time; the
// variants pass one only on the ManualClock, which is how the contract tests
// drive a server-side bucket through a scripted timeline. So under a real
// clock every client, in every process, is judged by one clock: the server's.
//
// Numbers go back to Redis through string.format('%.0f'): Lua's own
// number-to-string conversion keeps 14 digits only.
#ifndef RATELAB_VARIANTS_REDIS_SCRIPTS_H_
#define RATELAB_VARIANTS_REDIS_SCRIPTS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "variants/clock.h"
#include "variants/gcra.h"
#include "variants/limiter.h"
#include "variants/redis_client.h"
#include "variants/util.h"

namespace ratelab {
namespace redis_scripts {

// Shared prelude. ARGV[1] = I, ARGV[2] = tau, ARGV[3] = mode (1: the time is
// ARGV[4] s + ARGV[5] ns; 0: the server's TIME). Leaves I, tau, sec, now
// (ns into second `sec`) and tat (>= now) in locals.
inline constexpr const char* kPrelude = R"lua(
local I = tonumber(ARGV[1])
local tau = tonumber(ARGV[2])
local sec, now
if ARGV[3] == '1' then
  sec = tonumber(ARGV[4])
  now = tonumber(ARGV[5])
else
  local t = redis.call('TIME')
  sec = tonumber(t[1])
  now = tonumber(t[2]) * 1000
end
local tat = now
local s = redis.call('HMGET', KEYS[1], 'base', 'tat')
if s[1] and s[2] then
  local old = tonumber(s[2]) - (sec - tonumber(s[1])) * 1000000000
  if old > now then tat = old end
end
local function store(new_tat)
  redis.call('HSET', KEYS[1], 'base', string.format('%.0f', sec),
             'tat', string.format('%.0f', new_tat))
  if ARGV[3] ~= '1' then
    -- Gone once the bucket would be full again (a missing key reads as
    -- full), plus a second of margin: nothing to clean up after a run.
    redis.call('PEXPIRE', KEYS[1],
               string.format('%.0f', math.ceil((new_tat - now) / 1000000) + 1000))
  end
end
)lua";

// redis_gcra: ARGV[6] = n. Returns 1 (admitted) or 0.
inline std::string Gcra() {
  return absl::StrCat(kPrelude, R"lua(
local n = tonumber(ARGV[6])
local after = tat + n * I
if after - now > tau then return 0 end
store(after)
return 1
)lua");
}

// redis_leased, take a lease: ARGV[6] = n, ARGV[7] = m (largest lease),
// ARGV[8] = T (handles sharing the key). Grants max(n, clamp(available/2T,
// 1, m)) permits, or just n when that batch does not fit. Returns the number
// granted, or, when not even n fit, minus the nanoseconds until they would
// (at least 1): the client then refuses locally until then.
inline std::string Lease() {
  return absl::StrCat(kPrelude, R"lua(
local n = tonumber(ARGV[6])
local m = tonumber(ARGV[7])
local T = tonumber(ARGV[8])
local available = math.floor((tau - (tat - now)) / I)
local share = math.floor(available / (2 * T))
local want = math.max(n, math.min(math.max(share, 1), m))
local got = 0
if tat + want * I - now <= tau then
  got = want
elseif tat + n * I - now <= tau then
  got = n
end
if got == 0 then return -math.max(1, tat + n * I - tau - now) end
store(tat + got * I)
return got
)lua");
}

// redis_leased, give back unspent permits: ARGV[1] = -(r * I). Lowering the
// TAT by r*I undoes the lease of those r permits. A bucket that expired
// meanwhile is full already; nothing to give back to.
inline constexpr const char* kGiveBack = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'tat', ARGV[1])
end
return 0
)lua";

// Largest tau the doubles in the scripts hold exactly, with room for
// now (< 1e9) and one request on top.
inline constexpr int64_t kMaxTauNs = int64_t{1} << 52;

inline absl::StatusOr<GcraParams> Params(std::string_view name,
                                         const Limits& limits) {
  auto p = GcraParams::Make(limits);
  if (!p.ok()) return p.status();
  if (p->tau_ns > kMaxTauNs) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(name), ": burst B=", limits.burst, " x interval ", p->interval_ns,
        "ns = ", p->tau_ns,
        "ns exceeds 2^52 ns, the most the Lua script's doubles hold exactly"));
  }
  return *p;
}

// Where the limit lives: the server and the key, checked reachable at Create().
struct Store {
  RedisEndpoint endpoint;
  std::string key;
};

inline absl::StatusOr<Store> OpenStore(std::string_view name,
                                       const Options& options) {
  std::string address = options.redis_address;
  if (address.empty()) {
    auto d = DefaultRedisAddress();
    if (!d.ok()) {
      return absl::UnavailableError(
          absl::StrCat(std::string(name), ": no redis server: ",
                       std::string(d.status().message())));
    }
    address = *d;
  }
  auto ep = ParseRedisEndpoint(address);
  if (!ep.ok()) return ep.status();
  RedisClient probe(*ep, {});
  if (auto s = probe.Connect(); !s.ok()) {
    return absl::UnavailableError(absl::StrCat(std::string(name), ": ", std::string(s.message())));
  }
  return Store{*ep, options.redis_key.empty() ? FreshRedisKey(name)
                                              : options.redis_key};
}

// The time arguments (ARGV[3..5]): the server's clock, or the manual one.
template <class Clock>
inline void TimeArgs(const Clock& clock, int64_t* args) {
  if constexpr (std::is_same_v<Clock, ManualClock>) {
    const int64_t t = clock.Now();
    const int64_t sec = FloorDiv(t, 1'000'000'000);
    args[0] = 1;
    args[1] = sec;
    args[2] = t - sec * 1'000'000'000;
  } else {
    (void)clock;
    args[0] = 0;
    args[1] = 0;
    args[2] = 0;
  }
}

}  // namespace redis_scripts
}  // namespace ratelab

#endif  // RATELAB_VARIANTS_REDIS_SCRIPTS_H_
