// Contract tests, typed over every variant in the registry: scripted sequences
// on a manual clock, a model-based random walk against the reference models,
// threads hammering each variant, and bad configuration.
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include <atomic>
#include <cinttypes>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "variants/gtest_variants.h"
#include "variants/hammer.h"
#include "variants/reference_model.h"
#include "variants/registry.h"

namespace ratelab {
namespace {


constexpr int64_t kMs = 1'000'000;
constexpr int64_t kHour = 3600LL * 1'000'000'000;

// L = 100 per W = 100 ms: one permit per I = 1 ms.
Limits TestLimits() { return Limits::WithDefaultBurst(100, 100 * kMs); }

// Drives one variant on a manual clock, ticking it whenever time moves (as a
// ticker thread would, but deterministically) and checking every admission
// against the variant's own promise.
template <class V>
class Driver {
 public:
  explicit Driver(const Limits& limits, Options options = {},
                  int64_t start = 0)
      : clock_(start), limits_(limits) {
    auto made = V::Create(limits, options, clock_);
    EXPECT_TRUE(made.ok()) << made.status();
    v_ = std::move(*made);
    h_ = v_->MakeHandle(0);
    checker_ = std::make_unique<PromiseChecker>(v_->promise());
    v_->tick(clock_.Now());
  }

  bool Try(uint64_t n = 1) {
    const bool ok = v_->try_acquire(h_, n);
    // Ticking after every request models a ticker that is never late.
    if (V::kNeedsTick) v_->tick(clock_.Now());
    if (ok) {
      EXPECT_TRUE(checker_->Admit(clock_.Now(), n))
          << V::kName << " broke its promise at t=" << clock_.Now();
    }
    return ok;
  }
  uint64_t Burst(uint64_t tries, uint64_t n = 1) {
    uint64_t got = 0;
    for (uint64_t i = 0; i < tries; ++i) got += Try(n) ? n : 0;
    return got;
  }
  void Advance(int64_t ns) {
    clock_.Advance(ns);
    v_->tick(clock_.Now());
  }
  V& v() { return *v_; }
  const Promise promise() const { return v_->promise(); }
  int64_t now() const { return clock_.Now(); }

 private:
  ManualClock clock_;
  Limits limits_;
  std::unique_ptr<V> v_;
  typename V::Handle h_;
  std::unique_ptr<PromiseChecker> checker_;
};

// Keeps the calling thread on one CPU, so the per-CPU variants see one slot
// and their model applies.
class PinHere {
 public:
  PinHere() {
    pthread_getaffinity_np(pthread_self(), sizeof(old_), &old_);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
  }
  ~PinHere() { pthread_setaffinity_np(pthread_self(), sizeof(old_), &old_); }

 private:
  cpu_set_t old_;
};

template <class V>
class ContractTest : public ::testing::Test {};
TYPED_TEST_SUITE(ContractTest, GtestVariants<ManualClock>, VariantName);

// What a burst at the start admits: the promise's burst (B for a token
// bucket, L for a fixed window), or everything for the unbounded baseline.
TYPED_TEST(ContractTest, BurstAtStartAdmitsThePromisedBurst) {
  PinHere pin;
  Driver<TypeParam> d(TestLimits());
  const Promise p = d.promise();
  const uint64_t got = d.Burst(300);
  if (p.kind == Promise::Kind::kUnbounded) {
    EXPECT_EQ(got, 300u);
  } else {
    EXPECT_EQ(got, p.burst) << p.bound_note;
  }
}

// Offered twice the rate for ten windows. Exact token buckets admit
// B + floor(t / I); exact fixed windows at most L per window; everything stays
// within the promise (checked on every admission by the Driver).
TYPED_TEST(ContractTest, SteadyRateAboveTheLimit) {
  PinHere pin;
  const Limits l = TestLimits();
  Driver<TypeParam> d(l);
  const Promise p = d.promise();
  uint64_t got = 0;
  const int64_t half = 500'000;  // two requests per I = 1 ms
  int64_t t = 0;
  for (; t < 10 * l.window_ns; t += half) {
    got += d.Try() ? 1 : 0;
    d.Advance(half);
  }
  const int64_t last = t - half;  // time of the last request
  if (p.kind == Promise::Kind::kUnbounded) {
    EXPECT_EQ(got, 2u * 1000u);
  } else if (p.kind == Promise::Kind::kTokenBucket) {
    const uint64_t exact = l.burst + static_cast<uint64_t>(last / p.interval_ns);
    if (p.exact) {
      EXPECT_EQ(got, exact);
    } else {
      // Leases may hold back at most the stated slack.
      EXPECT_LE(got, exact + p.slack);
      EXPECT_GE(got + p.slack, exact);
    }
  } else {
    EXPECT_LE(got, 10 * p.PerWindow());
    // Offered 2L per window, every variant admits at least half its limit.
    EXPECT_GE(got, 10 * l.limit / 2);
  }
}

// Bursts on both sides of a window boundary: fixed windows may admit 2L in a
// moment (their promise says so), a token bucket only B + what refilled.
TYPED_TEST(ContractTest, WindowBoundaryBurst) {
  PinHere pin;
  const Limits l = TestLimits();
  Driver<TypeParam> d(l);
  d.Advance(l.window_ns - 1);
  uint64_t got = d.Burst(300);
  d.Advance(1);
  got += d.Burst(300);
  const Promise p = d.promise();
  EXPECT_LE(got, p.MaxAdmitted(1));
  std::string_view name = TypeParam::kName;
  if (name == "single_atomic" || name == "sharded_unpadded" ||
      name == "sharded_padded_64" || name == "sharded_padded_128" ||
      name == "percpu" || name == "percpu_rseq") {
    EXPECT_EQ(got, 2 * l.limit);  // the fixed window's known weakness
  } else if (name == "sliding_window") {
    EXPECT_EQ(got, l.limit);  // the weighted previous window fills the next
  } else if (p.kind == Promise::Kind::kTokenBucket) {
    EXPECT_EQ(got, l.burst);  // 1 ns refills nothing when I = 1 ms
  }
}

// A long idle, then hours of time jumping forward: the variant must come back
// with a full budget and never wrap around into admitting more.
TYPED_TEST(ContractTest, LongIdleAndHourJumps) {
  PinHere pin;
  const Limits l = TestLimits();
  Driver<TypeParam> d(l);
  const Promise p = d.promise();
  const uint64_t expect = p.kind == Promise::Kind::kUnbounded ? 300 : p.burst;
  EXPECT_EQ(d.Burst(300), expect);
  d.Advance(37 * l.window_ns + 12345);
  EXPECT_EQ(d.Burst(300), expect);
  for (int jump = 1; jump <= 3; ++jump) {
    d.Advance(jump * 5 * kHour + 777);
    EXPECT_EQ(d.Burst(300), expect) << "after a jump of " << jump * 5 << " h";
  }
}

// n > 1 draws n permits at once; n == 0 and n > B are refused and change
// nothing (a full burst is still there afterwards).
TYPED_TEST(ContractTest, RequestSizes) {
  PinHere pin;
  const Limits l{100, 100 * kMs, 40};
  Driver<TypeParam> d(l);
  EXPECT_FALSE(d.Try(0));
  EXPECT_FALSE(d.Try(41));
  EXPECT_FALSE(d.Try(~uint64_t{0}));
  const Promise p = d.promise();
  if (p.kind == Promise::Kind::kUnbounded) {
    EXPECT_TRUE(d.Try(40));
    return;
  }
  // Fresh state: 30 + 10 fit the burst of 40 exactly (token buckets), or the
  // window of 100 (fixed windows, and the sharded quota of 25 per tick holds
  // 10 and, after the tick that follows it, 30... so ask in quota-sized bites).
  uint64_t got = d.Burst(4, 10);
  EXPECT_EQ(got, 40u);
  if (p.kind == Promise::Kind::kTokenBucket) {
    EXPECT_FALSE(d.Try(1));
  }
}

// Random walk: advance time, try_acquire n, tick. For 100k steps the variant
// must decide exactly as its reference model and never break its promise.
TYPED_TEST(ContractTest, ModelBasedRandomWalk) {
  PinHere pin;
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE(testing::Message() << "seed=" << seed);
  std::mt19937_64 rng(seed);
  const Limits l{50, 10 * kMs, 20};
  ManualClock clock(static_cast<int64_t>(rng() % (1'000 * kMs)));
  auto made = TypeParam::Create(l, Options{}, clock);
  ASSERT_TRUE(made.ok()) << made.status();
  TypeParam& v = **made;
  auto h = v.MakeHandle(0);
  auto model = ModelFor(v, l, clock.Now());
  PromiseChecker checker(v.promise());
  v.tick(clock.Now());
  if (model) model->Tick(clock.Now());
  uint64_t admitted = 0;
  for (int step = 0; step < 100'000; ++step) {
    const uint64_t r = rng() % 100;
    if (r < 30) {
      // Mostly small steps around I = 0.2 ms, now and then a long idle.
      const int64_t dt = (r < 29) ? static_cast<int64_t>(rng() % 400'000)
                                  : static_cast<int64_t>(rng() % (50 * kMs));
      clock.Advance(dt);
    } else if (r < 40) {
      v.tick(clock.Now());
      if (model) model->Tick(clock.Now());
    } else {
      const uint64_t n = (r < 95) ? 1 : rng() % 24;  // some 0 and some > B
      const bool got = v.try_acquire(h, n);
      if (model) {
        const bool want = model->Acquire(clock.Now(), n);
        ASSERT_EQ(got, want) << TypeParam::kName << " step " << step
                             << " t=" << clock.Now() << " n=" << n
                             << " seed=" << seed;
      }
      if (got) {
        admitted += n;
        ASSERT_TRUE(checker.Admit(clock.Now(), n))
            << "promise broken at step " << step << " seed=" << seed;
      }
    }
  }
  EXPECT_GT(admitted, 0u);
}

// Threads: 2x the CPUs hammer the variant while a driver thread moves a manual
// clock in 10 us steps and ticks (hammer.h says what is checked).
TYPED_TEST(ContractTest, ThreadsKeepThePromise) {
  const int threads = 2 * static_cast<int>(std::thread::hardware_concurrency());
  const Limits l{1000, 10 * kMs, 1000};
  ManualClock clock(0);
  Options o;
  o.max_threads = threads;
  auto made = TypeParam::Create(l, o, clock);
  ASSERT_TRUE(made.ok()) << made.status();
  HammerOptions opt;
  opt.threads = threads;
  if constexpr (requires { TypeParam::kStoreBacked; }) {
    // The same 300 ms of manual time in 1 ms steps, each held for 2 ms of
    // real time: round trips of tens of microseconds (more under a
    // sanitizer) then mostly see one instant, so admissions can be checked.
    opt.steps = 300;
    opt.step_ns = 1'000'000;
    opt.step_pause = std::chrono::milliseconds(2);
  }
  const HammerReport r = Hammer(**made, clock, opt);
  EXPECT_EQ(r.admitted + r.refused, r.attempts);
  EXPECT_EQ(HammerProblems(r, (*made)->promise(), l.limit), "");
}

// No under-admission under contention, on the real clock: threads saturate
// the variant for 0.4 s (a ticker drives tick() where needed) and the variant
// must hand out at least 80% of what its promise allows over the run. Time has
// to move while threads race for each permit as it frees up, which a stepped
// manual clock does not reproduce: this is what caught sliding_window losing
// half its budget to fetch_adds that raced for the same freed permit.
template <class V>
class RealClockTest : public ::testing::Test {};
TYPED_TEST_SUITE(RealClockTest, GtestVariants<SteadyClock>, VariantName);

TYPED_TEST(RealClockTest, SaturatedByThreadsAdmitsTheFullBudget) {
  const int threads = std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  // R = 20k/s: far below what even one thread offers when saturating (also
  // under a sanitizer), and windows of 100 ms, long enough that a ticker
  // starved for a few milliseconds by a loaded machine costs a few percent.
  Limits l = Limits::WithDefaultBurst(2'000, 100'000'000);
  if constexpr (requires { TypeParam::kStoreBacked; }) {
    // A round trip per request caps what the redis variants can be offered
    // (about 50k/s here, less under a sanitizer on a busy machine): a tenth
    // of the rate keeps the test about under-admission, not capacity.
    l = Limits::WithDefaultBurst(200, 100'000'000);
  }
  Options o;
  o.max_threads = threads;
  auto made = TypeParam::Create(l, o);
  ASSERT_TRUE(made.ok()) << made.status();
  TypeParam& v = **made;
  const Promise p = v.promise();
  if (p.kind == Promise::Kind::kUnbounded) GTEST_SKIP() << "no budget to use";
  struct alignas(kLine128) Count {
    uint64_t admitted = 0;
  };
  std::vector<Count> counts(static_cast<size_t>(threads));
  std::atomic<int> phase{0};  // 0 run unmeasured, 1 measure, 2 stop
  std::vector<std::thread> team;
  for (int i = 0; i < threads; ++i) {
    team.emplace_back([&, i] {
      auto h = v.MakeHandle(i);
      uint64_t admitted = 0;
      while (phase.load(std::memory_order_relaxed) == 0) v.try_acquire(h, 1);
      while (phase.load(std::memory_order_relaxed) == 1) {
        admitted += v.try_acquire(h, 1) ? 1 : 0;
      }
      counts[static_cast<size_t>(i)].admitted = admitted;
    });
  }
  std::thread ticker;
  if constexpr (TypeParam::kNeedsTick) {
    ticker = std::thread([&] {
      // Spins (with yield) rather than sleeps: a sleeping ticker woken late
      // on a loaded machine skips whole windows, a runnable one does not.
      while (phase.load(std::memory_order_relaxed) != 2) {
        v.tick(SteadyClock{}.Now());
        std::this_thread::yield();
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const int64_t t0 = SteadyClock{}.Now();
  phase = 1;
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  phase = 2;
  const int64_t span = SteadyClock{}.Now() - t0;
  for (auto& t : team) t.join();
  if (ticker.joinable()) ticker.join();
  uint64_t admitted = 0;
  for (const auto& c : counts) admitted += c.admitted;
  // What the promise lets through at full demand: the refill of a token
  // bucket (its burst was spent before measuring), L per whole window.
  const uint64_t ideal =
      p.kind == Promise::Kind::kTokenBucket
          ? static_cast<uint64_t>(span / p.interval_ns)
          : l.limit * static_cast<uint64_t>(span / l.window_ns);
  // 80%: room for a late ticker on a busy machine; the sliding-window bug
  // this guards against admitted 50%.
  EXPECT_GE(admitted, ideal * 8 / 10) << "ideal " << ideal;
  EXPECT_LE(admitted, p.MaxAdmitted(span));
}

// Bad configuration: each is refused with a message that names the value.
TYPED_TEST(ContractTest, RejectsBadConfiguration) {
  struct Case {
    Limits limits;
    int threads;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {{0, kMs, 1}, 1, "L=0"},
      {{10, 0, 10}, 1, "W=0"},
      {{10, -5, 10}, 1, "W=-5"},
      {{10, kMs, 0}, 1, "B=0"},
      {{10, kMs, 10}, 0, "thread count 0"},
      {{10, kMs, 10}, TypeParam::kMaxThreads + 1,
       "thread count " + std::to_string(TypeParam::kMaxThreads + 1)},
  };
  for (const Case& c : cases) {
    Options o;
    o.max_threads = c.threads;
    auto made = TypeParam::Create(c.limits, o, ManualClock());
    ASSERT_FALSE(made.ok()) << c.needle;
    EXPECT_NE(made.status().message().find(c.needle), std::string::npos)
        << made.status().message() << " lacks " << c.needle;
  }
}

// Overflow cases specific to a representation.
TEST(OverflowTest, WindowCountRefusesTooLargeALimit) {
  // The count must hold L plus one refused add per thread: L + T*B < 2^63.
  const Limits l{uint64_t{1} << 63, kHour, 1};
  auto a = SingleAtomic<ManualClock>::Create(l, Options{});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("L=9223372036854775808"), std::string::npos)
      << a.status();
  auto s = SlidingWindow<ManualClock>::Create(l, Options{});
  ASSERT_FALSE(s.ok());
  Options o;
  o.max_threads = 4096;
  auto t = SingleAtomic<ManualClock>::Create(
      Limits{uint64_t{1} << 62, kHour, uint64_t{1} << 51}, o);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("4096 threads"), std::string::npos);
}

// Hours of idle with millisecond windows: 2^24 windows is 4.7 hours, where a
// 24-bit window tag would wrap. The limiter must come back with a full window
// after any such jump (the fuzzer found a tagged window refusing all).
TEST(IdleTest, FixedWindowsSurviveIdleOfAnyLength) {
  for (int64_t jump : {int64_t{1} << 23, (int64_t{1} << 23) + 1, int64_t{1} << 24,
                       (int64_t{1} << 24) + 5, (int64_t{3} << 30) + 7}) {
    ManualClock clock(0);
    auto a = *SingleAtomic<ManualClock>::Create(Limits::WithDefaultBurst(10, kMs),
                                                Options{}, clock);
    auto s = *SlidingWindow<ManualClock>::Create(Limits::WithDefaultBurst(10, kMs),
                                                 Options{}, clock);
    SingleAtomic<ManualClock>::Handle ha;
    SlidingWindow<ManualClock>::Handle hs;
    ASSERT_TRUE(a->try_acquire(ha, 10));
    ASSERT_TRUE(s->try_acquire(hs, 10));
    clock.Advance(jump * kMs);
    EXPECT_TRUE(a->try_acquire(ha, 10)) << "single_atomic after " << jump << " windows";
    EXPECT_TRUE(s->try_acquire(hs, 10)) << "sliding_window after " << jump << " windows";
    EXPECT_FALSE(a->try_acquire(ha, 1));
    EXPECT_FALSE(s->try_acquire(hs, 1));
  }
}

TEST(OverflowTest, TokenBucketRefusesMoreThanOnePermitPerNanosecond) {
  auto a = TokenBucket<ManualClock>::Create(
      Limits::WithDefaultBurst(2'000'000'001, 1'000'000'000), Options{});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("L=2000000001"), std::string::npos);
  auto b = MutexTokenBucket<ManualClock>::Create(
      Limits{1, kHour, uint64_t{1} << 40}, Options{});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("B=1099511627776"), std::string::npos)
      << b.status();
}

TEST(OverflowTest, LeaseLargerThanBurstIsRefused) {
  Options o;
  o.max_lease = 11;
  auto a = LeasedTokenBucket<ManualClock>::Create(
      Limits::WithDefaultBurst(10, kMs), o);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("max_lease=11"), std::string::npos);
  o.max_lease = 0;
  o.lease_ttl_ns = -3;
  auto b = LeasedTokenBucket<ManualClock>::Create(
      Limits::WithDefaultBurst(10, kMs), o);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("lease_ttl=-3"), std::string::npos);
}

TEST(OverflowTest, ShardQuotaThatOverflowsTheBoundIsRefused) {
  Options o;
  o.shard_quota = ~uint64_t{0} / 2;
  o.max_threads = 4;
  auto a = ShardedPadded128<ManualClock>::Create(
      Limits::WithDefaultBurst(10, kMs), o);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("shard quota q=9223372036854775807"),
            std::string::npos)
      << a.status();
}

// The leased bucket's two bounds, driven by hand.
TEST(LeasedTokenBucketTest, OverAdmissionIsBoundedByOutstandingLeases) {
  // Two threads, B = 80, max lease 10: each thread may carry up to 10 permits
  // leased earlier into a later interval.
  ManualClock clock(0);
  Options o;
  o.max_threads = 2;
  o.max_lease = 10;
  const Limits l{80, 80 * kMs, 80};  // I = 1 ms
  auto v = *LeasedTokenBucket<ManualClock>::Create(l, o, clock);
  auto h0 = v->MakeHandle(0);
  auto h1 = v->MakeHandle(1);
  // Thread 0 takes a lease and spends one permit: 9 held.
  ASSERT_TRUE(v->try_acquire(h0));
  EXPECT_EQ(v->Outstanding(), 9u);
  // Thread 1 drains the bucket.
  uint64_t t1 = 0;
  while (v->try_acquire(h1)) ++t1;
  EXPECT_EQ(t1 + 1 + v->Outstanding(), l.burst);  // every permit accounted for
  // In a fresh interval thread 0 still spends its 9 held permits at once:
  // over-admission, within the stated slack of T*m = 20.
  uint64_t t0 = 0;
  while (v->try_acquire(h0)) ++t0;
  EXPECT_EQ(t0, 9u);
  EXPECT_LE(t0, v->promise().slack);
  EXPECT_EQ(v->promise().slack, 20u);
}

TEST(LeasedTokenBucketTest, StrandedLeasesReturnAfterTheirTtl) {
  ManualClock clock(0);
  Options o;
  o.max_threads = 2;
  o.max_lease = 10;
  o.lease_ttl_ns = 5 * kMs;
  const Limits l{20, 20 * kMs, 20};  // I = 1 ms, B = 20
  auto v = *LeasedTokenBucket<ManualClock>::Create(l, o, clock);
  auto h0 = v->MakeHandle(0);
  auto h1 = v->MakeHandle(1);
  ASSERT_TRUE(v->try_acquire(h0));  // thread 0 leases a batch, then goes idle
  const uint64_t held = v->Outstanding();
  ASSERT_GT(held, 0u);
  uint64_t before = 0;
  while (v->try_acquire(h1)) ++before;
  // Under-admission while the lease lives: thread 1 misses exactly `held`.
  EXPECT_EQ(before, l.burst - 1 - held);
  // The lease expires; the tick returns it; thread 1 gets it (no refill has
  // happened: time moved 5 ms = 5 permits of refill, which come too).
  clock.Advance(5 * kMs);
  v->tick(clock.Now());
  EXPECT_EQ(v->Outstanding(), 0u);
  uint64_t after = 0;
  while (v->try_acquire(h1)) ++after;
  EXPECT_EQ(after, held + 5);
}

// percpu_rseq where glibc did not register rseq: creation fails with the
// reason. Run in a child process started with the glibc tunable that turns
// rseq off, since registration happens at process start.
TEST(PerCpuRseqTest, RefusedWhereRseqIsNotRegistered) {
  if (getenv("RATELAB_RSEQ_CHILD") != nullptr) {
    auto v = PerCpuRseq<ManualClock>::Create(TestLimits(), Options{});
    if (v.ok()) {
      printf("CHILD: created\n");
    } else {
      printf("CHILD: refused: %s\n", std::string(v.status().message()).c_str());
    }
    return;
  }
  auto here = PerCpuRseq<ManualClock>::Create(TestLimits(), Options{});
  ASSERT_TRUE(here.ok()) << "rseq should be registered in this process: "
                         << here.status();
  char exe[4096];
  const ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  ASSERT_GT(len, 0);
  exe[len] = '\0';
  const std::string cmd =
      std::string("RATELAB_RSEQ_CHILD=1 GLIBC_TUNABLES=glibc.pthread.rseq=0 '") +
      exe + "' --gtest_filter=PerCpuRseqTest.RefusedWhereRseqIsNotRegistered";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof buf, p) != nullptr) out += buf;
  EXPECT_EQ(pclose(p), 0);
  EXPECT_NE(out.find("CHILD: refused: rseq is not registered"), std::string::npos)
      << out;
}

// The threads test and the soak rely on HammerProblems to fail: it must.
TEST(HammerTest, ProblemsAreReported) {
  Promise tb;
  tb.kind = Promise::Kind::kTokenBucket;
  tb.burst = 10;
  tb.interval_ns = 100;
  HammerReport ok;
  ok.admitted = 5;
  ok.certain = 5;
  ok.after_idle = 10;
  EXPECT_EQ(HammerProblems(ok, tb, 10), "");
  HammerReport bad = ok;
  bad.violations = 2;
  EXPECT_NE(HammerProblems(bad, tb, 10).find("2 of 5 checked"), std::string::npos);
  bad = ok;
  bad.stalled = true;
  EXPECT_NE(HammerProblems(bad, tb, 10).find("watchdog"), std::string::npos);
  bad = ok;
  bad.lost_count = true;
  EXPECT_NE(HammerProblems(bad, tb, 10), "");
  bad = ok;
  bad.after_idle = 11;  // more than B at one instant
  EXPECT_NE(HammerProblems(bad, tb, 10).find("more than the promise"), std::string::npos);
  EXPECT_NE(HammerProblems(ok, tb, 11).find("want at least 11"), std::string::npos);
}

TEST(RegistryTest, ListsEveryVariantOnce) {
  const std::vector<std::string> want = {
      "null",         "single_atomic",      "sharded_unpadded",
      "sharded_padded_64", "sharded_padded_128", "percpu",
      "percpu_rseq",  "token_bucket",       "sliding_window",
      "mutex_token_bucket", "leased_token_bucket", "redis_gcra",
      "redis_leased"};
  std::vector<std::string> got;
  for (const auto& v : ListVariants()) {
    got.emplace_back(v.name);
    EXPECT_FALSE(v.description.empty());
  }
  EXPECT_EQ(got, want);
}

TEST(PromiseTest, BoundsByKind) {
  Promise tb;
  tb.kind = Promise::Kind::kTokenBucket;
  tb.burst = 10;
  tb.interval_ns = 100;
  EXPECT_EQ(tb.MaxAdmitted(0), 10u);
  EXPECT_EQ(tb.MaxAdmitted(99), 10u);
  EXPECT_EQ(tb.MaxAdmitted(100), 11u);
  Promise fw;
  fw.kind = Promise::Kind::kFixedWindow;
  fw.burst = 5;
  fw.interval_ns = 100;
  EXPECT_EQ(fw.MaxAdmitted(0), 5u);
  EXPECT_EQ(fw.MaxAdmitted(1), 10u);
  EXPECT_EQ(fw.MaxAdmitted(100), 10u);
  EXPECT_EQ(fw.MaxAdmitted(101), 15u);
  fw.exact = false;
  fw.slack = 1;
  EXPECT_EQ(fw.MaxAdmitted(100), 18u);
  Promise none;
  EXPECT_EQ(none.MaxAdmitted(5), Promise::kNoBound);
}

}  // namespace
}  // namespace ratelab
