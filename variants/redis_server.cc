#include "variants/redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace ratelab {
namespace {

// A port the kernel considers free right now. Another process could take it
// before redis-server binds it; Start() retries on a new port if so.
absl::StatusOr<int> FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    const int e = errno;
    close(fd);
    return absl::InternalError(absl::StrCat("bind 127.0.0.1:0: ", strerror(e)));
  }
  close(fd);
  return static_cast<int>(ntohs(a.sin_port));
}

bool Pings(int port) {
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeval{0, 100'000});
  if (c == nullptr || c->err) {
    if (c) redisFree(c);
    return false;
  }
  auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
  const bool ok = r != nullptr && r->type == REDIS_REPLY_STATUS;
  if (r) freeReplyObject(r);
  redisFree(c);
  return ok;
}

void SleepMs(int ms) {
  timespec ts{0, ms * 1'000'000L};
  nanosleep(&ts, nullptr);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start() {
  absl::Status last = absl::OkStatus();
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto port = FreeLoopbackPort();
    if (!port.ok()) return port.status();
    std::unique_ptr<RedisServer> s(new RedisServer(*port));
    last = s->Launch();
    if (last.ok()) return s;
  }
  return last;
}

RedisServer::~RedisServer() { Stop(); }

std::string RedisServer::address() const { return absl::StrCat("127.0.0.1:", port_); }

absl::Status RedisServer::Launch() {
  const char* bin = getenv("RATELAB_REDIS_SERVER");
  const std::string program = (bin != nullptr && *bin) ? bin : "redis-server";
  const std::string port = std::to_string(port_);
  std::vector<std::string> args = {
      program, "--port", port, "--bind", "127.0.0.1", "--save", "",
      "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
      "--logfile", "", "--databases", "1"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  if (pid == 0) {
    // The server must not outlive a test or bench_all that crashed.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    // Its own process group, so a terminal's Ctrl-C reaches bench_all, which
    // then stops the server in order, rather than killing it mid-point.
    setpgid(0, 0);
    // Its log (startup banner, shutdown notes) is noise in test output;
    // failure to start shows as an exit status or no PING, reported below.
    if (int null = open("/dev/null", O_WRONLY); null >= 0) {
      dup2(null, STDOUT_FILENO);
      close(null);
    }
    execvp(argv[0], argv.data());
    // Only async-signal-safe calls between fork and exec: the parent may
    // have other threads holding stdio locks. The parent names the program.
    _exit(127);
  }
  pid_ = pid;
  // Up within 5 s, or it failed (the port was taken, or no redis-server).
  for (int i = 0; i < 500; ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      const bool missing = WIFEXITED(status) && WEXITSTATUS(status) == 127;
      return absl::UnavailableError(
          missing ? absl::StrCat("cannot run ", program,
                                 ": install redis-server (scripts/setup.sh) or "
                                 "set RATELAB_REDIS_SERVER")
                  : absl::StrCat(program, " on port ", port_, " exited at start"));
    }
    if (Pings(port_)) return absl::OkStatus();
    SleepMs(10);
  }
  Stop();
  return absl::DeadlineExceededError(
      absl::StrCat(program, " on port ", port_, " did not answer PING within 5 s"));
}

void RedisServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 200; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    SleepMs(10);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void RedisServer::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

absl::Status RedisServer::Restart() {
  Kill();
  // The port may sit in TIME_WAIT for clients; redis-server sets SO_REUSEADDR,
  // but retry briefly in case the bind still races.
  absl::Status s;
  for (int i = 0; i < 20; ++i) {
    s = Launch();
    if (s.ok()) return s;
    SleepMs(50);
  }
  return s;
}

absl::StatusOr<std::string> RedisServer::Version() const {
  return RedisServerVersion(RedisEndpoint{"127.0.0.1", port_});
}

absl::StatusOr<std::string> RedisServerVersion(const RedisEndpoint& endpoint) {
  redisContext* c =
      redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, timeval{1, 0});
  if (c == nullptr || c->err) {
    if (c) redisFree(c);
    return absl::UnavailableError("cannot connect");
  }
  auto* r = static_cast<redisReply*>(redisCommand(c, "INFO server"));
  std::string version;
  if (r != nullptr && r->type == REDIS_REPLY_STRING) {
    const std::string info(r->str, r->len);
    const std::string tag = "redis_version:";
    if (size_t at = info.find(tag); at != std::string::npos) {
      const size_t end = info.find_first_of("\r\n", at);
      version = info.substr(at + tag.size(), end - at - tag.size());
    }
  }
  if (r) freeReplyObject(r);
  redisFree(c);
  if (version.empty()) return absl::InternalError("INFO server has no redis_version");
  return version;
}

}  // namespace ratelab
