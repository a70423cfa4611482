// The soak: every variant under 8x the CPUs in threads for a bounded time,
// with the clock leaping forward by hours now and then and workers stopping
// and being replaced mid-run. A watchdog fails a variant whose calls stop
// completing (a deadlock or livelock). Not part of the default test run:
// scripts/test.sh --soak runs it (RATELAB_SOAK_SECONDS per variant, default 20).
#include <cstdlib>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "variants/gtest_variants.h"
#include "variants/hammer.h"
#include "variants/registry.h"

namespace ratelab {
namespace {


int SoakSeconds() {
  const char* s = std::getenv("RATELAB_SOAK_SECONDS");
  const int v = s ? std::atoi(s) : 20;
  return v > 0 ? v : 20;
}

template <class V>
class SoakTest : public ::testing::Test {};
TYPED_TEST_SUITE(SoakTest, GtestVariants<ManualClock>, VariantName);

TYPED_TEST(SoakTest, OverloadJumpsAndChurn) {
  const int threads = 8 * static_cast<int>(std::thread::hardware_concurrency());
  const Limits l{5000, 20'000'000, 2000};  // 5000 per 20 ms, bursts of 2000
  ManualClock clock(123);
  Options o;
  o.max_threads = threads;
  auto made = TypeParam::Create(l, o, clock);
  ASSERT_TRUE(made.ok()) << made.status();
  HammerOptions opt;
  opt.threads = threads;
  opt.step_ns = 5'000;
  opt.steps = int64_t{1} << 40;  // the wall-clock limit ends the run
  opt.real_limit = std::chrono::seconds(SoakSeconds());
  opt.jump_every = 50'000;
  opt.jump_ns = int64_t{2} * 3600 * 1'000'000'000;  // two hours
  opt.churn_every = 5'000;
  opt.watchdog = std::chrono::seconds(10);
  opt.yield_every = 64;
  const HammerReport r = Hammer(**made, clock, opt);
  ::testing::Test::RecordProperty("attempts", std::to_string(r.attempts));
  ::testing::Test::RecordProperty("workers_started", std::to_string(r.workers_started));
  printf("%s: %llu attempts, %llu admitted, %llu checked, %llu workers, %.1f h manual\n",
         std::string(TypeParam::kName).c_str(),
         static_cast<unsigned long long>(r.attempts),
         static_cast<unsigned long long>(r.admitted),
         static_cast<unsigned long long>(r.certain),
         static_cast<unsigned long long>(r.workers_started), r.manual_ns / 3.6e12);
  EXPECT_GT(r.workers_started, static_cast<uint64_t>(threads));
  EXPECT_EQ(HammerProblems(r, (*made)->promise(), std::min(l.limit, l.burst)), "");
}

}  // namespace
}  // namespace ratelab
