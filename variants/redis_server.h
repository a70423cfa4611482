// A private redis-server child process on a free loopback port: what the tests,
// CI and bench_all run the store-backed variants against, so nobody starts a
// server by hand. No persistence (no RDB, no AOF): a killed server comes back
// empty, which the fault tests rely on and REPORT.md states.
#ifndef RATELAB_VARIANTS_REDIS_SERVER_H_
#define RATELAB_VARIANTS_REDIS_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "variants/redis_client.h"

namespace ratelab {

class RedisServer {
 public:
  // Starts redis-server ($RATELAB_REDIS_SERVER, else redis-server on PATH)
  // bound to 127.0.0.1 on a free port, and waits until it answers PING.
  // The server is killed if the thread that started it exits
  // (PR_SET_PDEATHSIG follows the thread), so start it from a thread that
  // lives as long as it is needed (bench_all and the tests use the main one).
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start();
  ~RedisServer();  // stops the server

  std::string address() const;  // "127.0.0.1:port"
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Fault injection: SIGKILL the server (no clean shutdown), and start it
  // again on the same port.
  void Kill();
  absl::Status Restart();

  // "redis_version" of the running server, e.g. "7.0.15".
  absl::StatusOr<std::string> Version() const;

 private:
  explicit RedisServer(int port) : port_(port) {}
  absl::Status Launch();
  void Stop();

  int port_;
  pid_t pid_ = -1;
};

// "redis_version" from INFO of any server, e.g. "7.0.15".
absl::StatusOr<std::string> RedisServerVersion(const RedisEndpoint& endpoint);

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_REDIS_SERVER_H_
