// Tests of the store-backed variants beyond the typed contract tests (which
// limiter_test.cc runs over them too): sharing one limit between instances,
// the leased variant's bounds, bad addresses, and a server killed and
// restarted under load. Each test starts its own redis-server (RedisServer),
// so none needs a server started by hand.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "variants/clock.h"
#include "variants/redis_client.h"
#include "variants/redis_gcra.h"
#include "variants/redis_leased.h"
#include "variants/redis_server.h"
#include "variants/reference_model.h"

namespace ratelab {
namespace {

constexpr int64_t kMs = 1'000'000;

std::unique_ptr<RedisServer> StartServer() {
  auto s = RedisServer::Start();
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

TEST(RedisEndpointTest, ParsesHostAndPort) {
  auto ep = ParseRedisEndpoint("127.0.0.1:6379");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->host, "127.0.0.1");
  EXPECT_EQ(ep->port, 6379);
  EXPECT_EQ(ep->ToString(), "127.0.0.1:6379");
}

TEST(RedisEndpointTest, RejectsBadAddressesNamingThePart) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"localhost", "expected host:port"},
      {":6379", "expected host:port"},
      {"h:0", "port '0'"},
      {"h:65536", "port '65536'"},
      {"h:http", "port 'http'"},
      {"h:", "port ''"},
  };
  for (const auto& [text, needle] : cases) {
    auto ep = ParseRedisEndpoint(text);
    ASSERT_FALSE(ep.ok()) << text;
    EXPECT_NE(ep.status().message().find(needle), std::string::npos)
        << text << ": " << ep.status().message();
  }
}

TEST(RedisCreateTest, UnreachableServerIsACreationError) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  const std::string address = server->address();
  server.reset();  // stopped: nothing listens there now
  Options o;
  o.redis_address = address;
  auto g = RedisGcra<SteadyClock>::Create(Limits::WithDefaultBurst(10, kMs), o);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("redis_gcra"), std::string::npos) << g.status();
  EXPECT_NE(g.status().message().find(address), std::string::npos) << g.status();
  auto l = RedisLeased<SteadyClock>::Create(Limits::WithDefaultBurst(10, kMs), o);
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.status().message().find(address), std::string::npos) << l.status();
}

TEST(RedisCreateTest, ToleranceBeyondExactDoublesIsRefused) {
  // tau = B * I must stay below 2^52 ns for the script's doubles.
  Options o;
  auto g = RedisGcra<SteadyClock>::Create(
      Limits{1, int64_t{1} << 40, uint64_t{1} << 13}, o);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("2^52"), std::string::npos) << g.status();
}

// Two limiters on one key are one limit: together they admit exactly the
// bucket's promise, as a single one would.
TEST(RedisGcraTest, InstancesSharingAKeyShareTheLimit) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  ManualClock clock(5 * kMs);
  Options o;
  o.redis_address = server->address();
  o.redis_key = "ratelab:test:shared";
  const Limits l = Limits::WithDefaultBurst(100, 100 * kMs);  // I = 1 ms
  auto a = RedisGcra<ManualClock>::Create(l, o, clock);
  auto b = RedisGcra<ManualClock>::Create(l, o, clock);
  ASSERT_TRUE(a.ok() && b.ok());
  auto ha = (*a)->MakeHandle(0);
  auto hb = (*b)->MakeHandle(0);
  uint64_t got = 0;
  for (int i = 0; i < 200; ++i) {
    got += (*a)->try_acquire(ha, 1) ? 1 : 0;
    got += (*b)->try_acquire(hb, 1) ? 1 : 0;
  }
  EXPECT_EQ(got, 100u);  // B, once, between the two
  clock.Advance(10 * kMs);
  got = 0;
  for (int i = 0; i < 50; ++i) {
    got += (*a)->try_acquire(ha, 1) ? 1 : 0;
    got += (*b)->try_acquire(hb, 1) ? 1 : 0;
  }
  EXPECT_EQ(got, 10u);  // 10 ms of refill at one per ms
  EXPECT_EQ(ha.store_refusals + hb.store_refusals, 0u);
}

// Two instances stand for two processes (store_threads counts both); over a
// scripted timeline their admissions together stay within B + t/I + T*m and
// the leases they hold never exceed T*m.
TEST(RedisLeasedTest, SharedOverAdmissionIsBoundedByAllOutstandingLeases) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  ManualClock clock(0);
  const Limits l = Limits::WithDefaultBurst(1000, 1000 * kMs);  // I = 1 ms
  Options o;
  o.redis_address = server->address();
  o.redis_key = "ratelab:test:leased";
  o.max_threads = 2;
  o.store_threads = 4;
  auto a = RedisLeased<ManualClock>::Create(l, o, clock);
  auto b = RedisLeased<ManualClock>::Create(l, o, clock);
  ASSERT_TRUE(a.ok() && b.ok());
  const Promise p = (*a)->promise();
  EXPECT_EQ(p.slack, 4 * (*a)->max_lease());
  EXPECT_EQ((*a)->max_lease(), 1000u / (8 * 4));
  std::vector<RedisLeased<ManualClock>::Handle> hs;
  hs.push_back((*a)->MakeHandle(0));
  hs.push_back((*a)->MakeHandle(1));
  hs.push_back((*b)->MakeHandle(0));
  hs.push_back((*b)->MakeHandle(1));
  PromiseChecker checker(p);
  uint64_t admitted = 0;
  for (int step = 0; step < 3000; ++step) {
    for (size_t i = 0; i < hs.size(); ++i) {
      auto& v = i < 2 ? **a : **b;
      if (v.try_acquire(hs[i], 1)) {
        ++admitted;
        ASSERT_TRUE(checker.Admit(clock.Now(), 1)) << "step " << step;
      }
    }
    ASSERT_LE((*a)->Outstanding() + (*b)->Outstanding(), p.slack);
    clock.Advance(kMs / 4);  // demand at 4 per ms, refill at 1 per ms
  }
  // 750 ms at one permit per ms on top of the burst, less what leases hold.
  EXPECT_GE(admitted + (*a)->Outstanding() + (*b)->Outstanding(), 1000u + 749u);
  EXPECT_LE(admitted, p.MaxAdmitted(clock.Now()));
}

// A lease nobody spends goes back to redis after its TTL and a tick.
TEST(RedisLeasedTest, StrandedLeasesGoBackAfterTheirTtl) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  ManualClock clock(0);
  const Limits l = Limits::WithDefaultBurst(100, 100 * kMs);
  Options o;
  o.redis_address = server->address();
  o.max_threads = 2;
  o.max_lease = 40;
  o.lease_ttl_ns = 10 * kMs;
  auto made = RedisLeased<ManualClock>::Create(l, o, clock);
  ASSERT_TRUE(made.ok()) << made.status();
  auto& v = **made;
  auto idle = v.MakeHandle(0);
  auto busy = v.MakeHandle(1);
  ASSERT_TRUE(v.try_acquire(idle, 1));  // leases a batch, then stops asking
  const uint64_t stranded = v.Outstanding();
  ASSERT_GT(stranded, 0u);
  uint64_t got = 0;
  while (v.try_acquire(busy, 1)) ++got;
  EXPECT_EQ(got + 1 + stranded, 100u);  // the rest of B
  clock.Advance(10 * kMs);  // the TTL passes; 10 permits refill meanwhile
  v.tick(clock.Now());
  EXPECT_EQ(v.Outstanding(), 0u);
  got = 0;
  while (v.try_acquire(busy, 1)) ++got;
  EXPECT_EQ(got, stranded + 10);
}

// A refused thread asks the server again only once the permits it wanted can
// fit: a spent budget costs no round trip per request.
TEST(RedisLeasedTest, RefusalIsRememberedUntilThePermitsCouldFit) {
  auto server = StartServer();
  ASSERT_TRUE(server);
  ManualClock clock(0);
  const Limits l = Limits::WithDefaultBurst(100, 100 * kMs);  // I = 1 ms
  Options o;
  o.redis_address = server->address();
  auto made = RedisLeased<ManualClock>::Create(l, o, clock);
  ASSERT_TRUE(made.ok()) << made.status();
  auto& v = **made;
  auto h = v.MakeHandle(0);
  uint64_t got = 0;
  while (v.try_acquire(h, 1)) ++got;
  EXPECT_EQ(got, 100u);
  const uint64_t trips = h.client->round_trips();
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(v.try_acquire(h, 1));
  clock.Advance(kMs - 1);
  EXPECT_FALSE(v.try_acquire(h, 1));
  EXPECT_EQ(h.client->round_trips(), trips);  // all refused locally
  clock.Advance(1);
  EXPECT_TRUE(v.try_acquire(h, 1));  // the permit has refilled: asked, granted
  EXPECT_EQ(h.client->round_trips(), trips + 1);
}

// The fault test: threads saturate redis_gcra on the real clock while the
// server is killed, then restarted on the same port. During the outage every
// request is refused (fail closed) and counted as a store refusal; afterwards
// the clients reconnect, reload their script, and admit again.
template <class V>
void KillAndRestartUnderLoad() {
  auto server = StartServer();
  ASSERT_TRUE(server);
  Options o;
  o.redis_address = server->address();
  o.max_threads = 2;
  // 50 permits per 10 ms: a rate the clients exceed, so both outcomes occur.
  auto made = V::Create(Limits::WithDefaultBurst(50, 10 * kMs), o);
  ASSERT_TRUE(made.ok()) << made.status();
  V& v = **made;
  // kTransition covers the kill and the restart, so requests that straddle
  // either count in no phase that is checked.
  enum Phase { kBefore, kOutage, kAfter, kTransition, kStop };
  std::atomic<int> phase{kBefore};
  struct Count {
    uint64_t admitted[3] = {0, 0, 0};  // by phase, kBefore..kAfter
    uint64_t attempts[3] = {0, 0, 0};
    uint64_t store_refusals[3] = {0, 0, 0};
  };
  std::vector<Count> counts(2);
  std::vector<std::thread> team;
  for (int i = 0; i < 2; ++i) {
    team.emplace_back([&, i] {
      auto h = v.MakeHandle(i);
      for (;;) {
        const int ph = phase.load();
        if (ph == kStop) break;
        const uint64_t refused_before = h.store_refusals;
        const bool ok = v.try_acquire(h, 1);
        if (ph == kTransition) continue;
        Count& c = counts[static_cast<size_t>(i)];
        ++c.attempts[ph];
        c.admitted[ph] += ok ? 1 : 0;
        c.store_refusals[ph] += h.store_refusals - refused_before;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  phase = kTransition;
  server->Kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  phase = kOutage;
  std::this_thread::sleep_for(std::chrono::milliseconds(230));
  phase = kTransition;
  ASSERT_TRUE(server->Restart().ok());
  phase = kAfter;
  // The backoff is at most 1 s; allow it twice over.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  phase = kStop;
  for (auto& t : team) t.join();
  Count sum;
  for (const Count& c : counts) {
    for (int ph = 0; ph < 3; ++ph) {
      sum.admitted[ph] += c.admitted[ph];
      sum.attempts[ph] += c.attempts[ph];
      sum.store_refusals[ph] += c.store_refusals[ph];
    }
  }
  EXPECT_GT(sum.admitted[kBefore], 0u);
  // A thread that read the phase just before the kill may see one refusal.
  EXPECT_LE(sum.store_refusals[kBefore], static_cast<uint64_t>(o.max_threads));
  // Fail closed: nothing is admitted in the outage, but for the leased
  // variant what a thread already held (at most its largest lease).
  const uint64_t held =
      V::kNeedsTick ? static_cast<uint64_t>(o.max_threads) * 50 : 0;
  EXPECT_LE(sum.admitted[kOutage], held);
  EXPECT_GT(sum.store_refusals[kOutage], 0u);
  EXPECT_GT(sum.admitted[kAfter], 0u) << "no recovery after the restart";
}

TEST(RedisFaultTest, GcraFailsClosedAndRecovers) {
  KillAndRestartUnderLoad<RedisGcra<SteadyClock>>();
}

TEST(RedisFaultTest, LeasedFailsClosedAndRecovers) {
  KillAndRestartUnderLoad<RedisLeased<SteadyClock>>();
}

}  // namespace
}  // namespace ratelab
