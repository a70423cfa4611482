// The Redis side of the store-backed variants (redis_gcra, redis_leased): a
// hiredis connection that runs ratelab's Lua scripts, and where the server is.
//
// One RedisClient per thread (a hiredis context is not thread-safe). Each
// request is one EVALSHA: one round trip, the script running atomically on the
// server. When the server cannot be reached the client fails closed: Run()
// returns UNAVAILABLE at once and the variant refuses the request. It then
// reconnects with a bounded exponential backoff (1 ms doubling to 1 s), so a
// dead server costs a saturating thread a timestamp compare per request, not a
// connect() per request. A restarted server has lost its scripts; a NOSCRIPT
// reply makes the client load them again and retry once.
//
// Outages are reported on stderr once per process-wide change (lost / back),
// not once per request or per thread.
#ifndef RATELAB_VARIANTS_REDIS_CLIENT_H_
#define RATELAB_VARIANTS_REDIS_CLIENT_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct redisContext;

namespace ratelab {

struct RedisEndpoint {
  std::string host;
  int port = 0;
  std::string ToString() const;
};

// Parses "host:port" (port 1..65535). The message names the bad part.
absl::StatusOr<RedisEndpoint> ParseRedisEndpoint(std::string_view text);

// The server the store-backed variants use when Options::redis_address is
// empty. bench_all sets it; when nothing was set, the first call starts a
// private redis-server on a free loopback port for this process (stopped at
// exit), which is how the tests get a real server without anyone starting
// one by hand. RATELAB_REDIS=host:port in the environment overrides both.
absl::StatusOr<std::string> DefaultRedisAddress();
void SetDefaultRedisAddress(std::string address);

// A fresh key name, unique in this process and across processes on the host.
std::string FreshRedisKey(std::string_view variant);

class RedisClient {
 public:
  struct Timeouts {
    int64_t connect_ns = 200'000'000;
    int64_t command_ns = 1'000'000'000;
    int64_t first_backoff_ns = 1'000'000;
    int64_t max_backoff_ns = 1'000'000'000;
  };

  // scripts: Lua sources, addressed by index in Run(). Does not connect.
  RedisClient(RedisEndpoint endpoint, std::vector<std::string> scripts,
              Timeouts timeouts);
  RedisClient(RedisEndpoint endpoint, std::vector<std::string> scripts)
      : RedisClient(std::move(endpoint), std::move(scripts), Timeouts{}) {}
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Connects now (and loads the scripts); the error says why it cannot.
  absl::Status Connect();

  // EVALSHA of script `index` with one key and integer arguments; the
  // script's integer reply. UNAVAILABLE: no connection (fail closed).
  // INTERNAL: the server answered with an error.
  absl::StatusOr<int64_t> Run(int index, std::string_view key,
                              std::span<const int64_t> args) noexcept;

  // A plain command with string arguments, for set-up and tests (DEL, PING).
  absl::Status Command(std::span<const std::string> argv);

  bool connected() const { return ctx_ != nullptr; }
  uint64_t reconnects() const { return reconnects_; }
  uint64_t round_trips() const { return round_trips_; }  // scripts sent
  const RedisEndpoint& endpoint() const { return endpoint_; }

 private:
  absl::Status EnsureConnected(int64_t now) noexcept;
  absl::Status LoadScripts() noexcept;
  void Drop(const char* what, int64_t now) noexcept;

  RedisEndpoint endpoint_;
  std::vector<std::string> scripts_;
  std::vector<std::string> shas_;
  Timeouts timeouts_;
  redisContext* ctx_ = nullptr;
  int64_t next_attempt_ns_ = 0;
  int64_t backoff_ns_ = 0;
  uint64_t reconnects_ = 0;
  uint64_t round_trips_ = 0;
  bool ever_connected_ = false;
};

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_REDIS_CLIENT_H_
