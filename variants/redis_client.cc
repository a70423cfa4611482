#include "variants/redis_client.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "variants/redis_server.h"

namespace ratelab {
namespace {

int64_t RealNowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

timeval ToTimeval(int64_t ns) {
  return timeval{static_cast<time_t>(ns / 1'000'000'000),
                 static_cast<suseconds_t>((ns % 1'000'000'000) / 1000)};
}

// Process-wide health, so an outage is reported once, not once per thread.
std::atomic<bool> g_reachable{true};

void ReportLost(const RedisEndpoint& ep, const char* what) {
  if (g_reachable.exchange(false)) {
    fprintf(stderr,
            "ratelab: redis %s unreachable (%s): refusing store-backed "
            "requests (fail closed), reconnecting with backoff up to 1 s\n",
            ep.ToString().c_str(), what);
  }
}

void ReportBack(const RedisEndpoint& ep) {
  if (!g_reachable.exchange(true)) {
    fprintf(stderr, "ratelab: redis %s reachable again\n", ep.ToString().c_str());
  }
}

struct DefaultAddress {
  std::mutex mu;
  std::string address;  // set by SetDefaultRedisAddress
  std::unique_ptr<RedisServer> server;  // started on first use otherwise
};

DefaultAddress& Default() {
  // Never destroyed before the process-exit handlers run; the server's own
  // destructor runs from the atexit hook below.
  static DefaultAddress* d = new DefaultAddress;
  return *d;
}

void StopDefaultServer() {
  DefaultAddress& d = Default();
  std::lock_guard<std::mutex> lock(d.mu);
  d.server.reset();
}

}  // namespace

std::string RedisEndpoint::ToString() const { return absl::StrCat(host, ":", port); }

absl::StatusOr<RedisEndpoint> ParseRedisEndpoint(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "redis address '", std::string(text), "': expected host:port"));
  }
  int port = 0;
  const std::string port_text(text.substr(colon + 1));
  if (!absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "redis address '", std::string(text), "': port '", port_text,
        "' is not in 1..65535"));
  }
  return RedisEndpoint{std::string(text.substr(0, colon)), port};
}

void SetDefaultRedisAddress(std::string address) {
  DefaultAddress& d = Default();
  std::lock_guard<std::mutex> lock(d.mu);
  d.address = std::move(address);
}

absl::StatusOr<std::string> DefaultRedisAddress() {
  if (const char* env = getenv("RATELAB_REDIS"); env != nullptr && *env) {
    return std::string(env);
  }
  DefaultAddress& d = Default();
  std::lock_guard<std::mutex> lock(d.mu);
  if (!d.address.empty()) return d.address;
  if (!d.server) {
    auto s = RedisServer::Start();
    if (!s.ok()) return s.status();
    d.server = std::move(*s);
    atexit(StopDefaultServer);
  }
  return d.server->address();
}

std::string FreshRedisKey(std::string_view variant) {
  static std::atomic<uint64_t> serial{0};
  return absl::StrCat("ratelab:", std::string(variant), ":", getpid(), ":",
                      RealNowNs(), ":", serial.fetch_add(1));
}

RedisClient::RedisClient(RedisEndpoint endpoint, std::vector<std::string> scripts,
                         Timeouts timeouts)
    : endpoint_(std::move(endpoint)),
      scripts_(std::move(scripts)),
      timeouts_(timeouts),
      backoff_ns_(timeouts.first_backoff_ns) {}

RedisClient::~RedisClient() {
  if (ctx_ != nullptr) redisFree(ctx_);
}

absl::Status RedisClient::Connect() {
  next_attempt_ns_ = 0;
  return EnsureConnected(RealNowNs());
}

void RedisClient::Drop(const char* what, int64_t now) noexcept {
  ReportLost(endpoint_, what);
  if (ctx_ != nullptr) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
  next_attempt_ns_ = now + backoff_ns_;
  backoff_ns_ = std::min(backoff_ns_ * 2, timeouts_.max_backoff_ns);
}

absl::Status RedisClient::EnsureConnected(int64_t now) noexcept {
  if (ctx_ != nullptr) return absl::OkStatus();
  if (now < next_attempt_ns_) {
    return absl::UnavailableError(absl::StrCat(
        "redis ", endpoint_.ToString(), " unreachable; next retry in ",
        (next_attempt_ns_ - now) / 1'000'000, " ms"));
  }
  redisContext* c = redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port,
                                            ToTimeval(timeouts_.connect_ns));
  if (c == nullptr || c->err) {
    const std::string why = c ? c->errstr : "cannot allocate a hiredis context";
    if (c) redisFree(c);
    Drop(why.c_str(), now);
    return absl::UnavailableError(
        absl::StrCat("cannot connect to redis ", endpoint_.ToString(), ": ", why));
  }
  redisSetTimeout(c, ToTimeval(timeouts_.command_ns));
  ctx_ = c;
  if (auto s = LoadScripts(); !s.ok()) {
    Drop(std::string(s.message()).c_str(), now);
    return s;
  }
  if (ever_connected_) ++reconnects_;
  ever_connected_ = true;
  backoff_ns_ = timeouts_.first_backoff_ns;
  ReportBack(endpoint_);
  return absl::OkStatus();
}

absl::Status RedisClient::LoadScripts() noexcept {
  shas_.clear();
  for (const std::string& src : scripts_) {
    const char* argv[] = {"SCRIPT", "LOAD", src.c_str()};
    const size_t lens[] = {6, 4, src.size()};
    auto* r = static_cast<redisReply*>(redisCommandArgv(ctx_, 3, argv, lens));
    if (r == nullptr) {
      return absl::UnavailableError(absl::StrCat("SCRIPT LOAD: ", ctx_->errstr));
    }
    if (r->type != REDIS_REPLY_STRING) {
      const std::string why = r->type == REDIS_REPLY_ERROR ? r->str : "odd reply";
      freeReplyObject(r);
      return absl::InternalError(absl::StrCat("SCRIPT LOAD: ", why));
    }
    shas_.emplace_back(r->str, r->len);
    freeReplyObject(r);
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> RedisClient::Run(int index, std::string_view key,
                                         std::span<const int64_t> args) noexcept {
  const int64_t now = RealNowNs();
  if (auto s = EnsureConnected(now); !s.ok()) return s;
  // EVALSHA sha 1 key args...: numbers formatted on the stack, no allocation.
  constexpr size_t kMaxArgs = 12;
  if (args.size() > kMaxArgs) return absl::InternalError("too many script arguments");
  std::array<std::array<char, 24>, kMaxArgs> buf;
  std::array<const char*, kMaxArgs + 4> argv;
  std::array<size_t, kMaxArgs + 4> lens;
  argv[0] = "EVALSHA";
  lens[0] = 7;
  argv[2] = "1";
  lens[2] = 1;
  argv[3] = key.data();
  lens[3] = key.size();
  for (size_t i = 0; i < args.size(); ++i) {
    auto [end, ec] = std::to_chars(buf[i].data(), buf[i].data() + buf[i].size(), args[i]);
    (void)ec;
    argv[4 + i] = buf[i].data();
    lens[4 + i] = static_cast<size_t>(end - buf[i].data());
  }
  const int argc = static_cast<int>(4 + args.size());
  for (int attempt = 0; attempt < 2; ++attempt) {
    const std::string& sha = shas_[static_cast<size_t>(index)];
    argv[1] = sha.c_str();
    lens[1] = sha.size();
    ++round_trips_;
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(ctx_, argc, argv.data(), lens.data()));
    if (r == nullptr) {
      // I/O error or timeout: the connection is unusable.
      const std::string why = ctx_->errstr;
      Drop(why.c_str(), now);
      return absl::UnavailableError(
          absl::StrCat("redis ", endpoint_.ToString(), ": ", why));
    }
    if (r->type == REDIS_REPLY_INTEGER) {
      const int64_t v = r->integer;
      freeReplyObject(r);
      return v;
    }
    const bool noscript = r->type == REDIS_REPLY_ERROR &&
                          strncasecmp(r->str, "NOSCRIPT", 8) == 0;
    std::string why = r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len)
                                                   : "a reply that is not an integer";
    freeReplyObject(r);
    if (!noscript) {
      return absl::InternalError(absl::StrCat("redis script: ", why));
    }
    // The server restarted (or flushed its scripts): load them and retry.
    if (auto s = LoadScripts(); !s.ok()) {
      Drop(std::string(s.message()).c_str(), now);
      return absl::UnavailableError(s.message());
    }
  }
  return absl::InternalError("redis script: NOSCRIPT after loading it");
}

absl::Status RedisClient::Command(std::span<const std::string> args) {
  if (auto s = EnsureConnected(RealNowNs()); !s.ok()) return s;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.c_str());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(redisCommandArgv(
      ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()));
  if (r == nullptr) {
    const std::string why = ctx_->errstr;
    Drop(why.c_str(), RealNowNs());
    return absl::UnavailableError(absl::StrCat("redis ", endpoint_.ToString(), ": ", why));
  }
  absl::Status s = absl::OkStatus();
  if (r->type == REDIS_REPLY_ERROR) s = absl::InternalError(std::string(r->str, r->len));
  freeReplyObject(r);
  return s;
}

}  // namespace ratelab
