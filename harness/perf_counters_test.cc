#include "harness/perf_counters.h"

#include <time.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace ratelab {
namespace {

// gtest only (the target does not link gmock): substring check that prints
// the whole text on failure.
::testing::AssertionResult HasSubstr(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" lacks \"" << part << "\"";
}

// CPU time of the calling thread, from the clock the kernel keeps itself;
// an independent witness for what task-clock should report.
int64_t ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

int64_t WallNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Burns at least `ns` of this thread's CPU time. Bounded by CPU time, not
// wall time, so a loaded machine makes it slower but never shorter.
void SpinCpu(int64_t ns) {
  const int64_t start = ThreadCpuNs();
  volatile uint64_t sink = 0;
  while (ThreadCpuNs() - start < ns) {
    for (int i = 0; i < 1000; ++i) sink = sink + i;
  }
}

// Each sleep blocks the thread, which is a context switch by definition.
void SleepTimes(int n) {
  for (int i = 0; i < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

const CounterValue& Find(const std::vector<CounterValue>& values, const std::string& event) {
  for (const CounterValue& c : values) {
    if (c.event == event) return c;
  }
  ADD_FAILURE() << "no entry for " << event;
  static const CounterValue kMissing;
  return kMissing;
}

// Software events need kernel-context counting (see perf_counters.cc); an
// unprivileged run with perf_event_paranoid >= 2 cannot have them, and says
// so. Anything else unavailable is a failure.
#define SKIP_IF_PERMISSION_DENIED(c)                                        \
  do {                                                                      \
    if (!(c).value.has_value() && (c).reason.rfind("permission denied", 0) == 0) \
      GTEST_SKIP() << (c).event << ": " << (c).reason;                      \
  } while (0)

constexpr int64_t kMs = 1'000'000;

TEST(PerfCounters, SoftwareEventsCount) {
  PerfGroup g = PerfGroup::OpenForThisThread({"task-clock", "context-switches"});
  const int64_t wall0 = WallNs();
  g.Start();
  SpinCpu(20 * kMs);
  SleepTimes(5);
  g.Stop();
  const int64_t wall = WallNs() - wall0;
  const std::vector<CounterValue> v = g.Read();
  ASSERT_EQ(v.size(), 2u);

  const CounterValue& clock = v[0];
  ASSERT_TRUE(clock.value.has_value()) << clock.reason;
  EXPECT_TRUE(clock.reason.empty());
  // task-clock is this thread's CPU time in ns: at least what SpinCpu burnt,
  // and never more than the wall time the interval took.
  EXPECT_GE(*clock.value, 20.0 * kMs * 0.99);
  EXPECT_LE(*clock.value, static_cast<double>(wall));
  EXPECT_GT(clock.time_enabled_ns, 0u);
  // A software-only group is always on: nothing to multiplex.
  EXPECT_FALSE(clock.multiplexed);
  EXPECT_EQ(clock.time_running_ns, clock.time_enabled_ns);
  EXPECT_EQ(*clock.value, static_cast<double>(clock.raw));

  SKIP_IF_PERMISSION_DENIED(v[1]);
  const CounterValue& cs = v[1];
  ASSERT_TRUE(cs.value.has_value()) << cs.reason;
  EXPECT_GE(*cs.value, 5.0);  // one per sleep at least
  EXPECT_EQ(cs.raw, static_cast<uint64_t>(*cs.value));
}

TEST(PerfCounters, ContextSwitchesNotStuckAtZero) {
  // Guards the exclude_kernel choice: counted user-only, context-switches
  // reads 0 however often the thread blocks.
  PerfGroup g = PerfGroup::OpenForThisThread({"context-switches"});
  g.Start();
  SleepTimes(3);
  std::this_thread::yield();
  g.Stop();
  const std::vector<CounterValue> v = g.Read();
  ASSERT_EQ(v.size(), 1u);
  SKIP_IF_PERMISSION_DENIED(v[0]);
  ASSERT_TRUE(v[0].value.has_value()) << v[0].reason;
  EXPECT_GE(*v[0].value, 3.0);
}

TEST(PerfCounters, HardwareEventsCountedOrNullWithReason) {
  // Hardware events first, so that on a machine without a PMU the leader
  // they would have been falls through to task-clock.
  const std::vector<std::string> events = {"cycles", "instructions", "cache-misses",
                                           "L1-dcache-load-misses", "task-clock"};
  PerfGroup g = PerfGroup::OpenForThisThread(events);
  g.Start();
  SpinCpu(5 * kMs);
  g.Stop();
  const std::vector<CounterValue> v = g.Read();
  ASSERT_EQ(v.size(), events.size());

  const auto probe = ProbeEvents(events);
  ASSERT_EQ(probe.size(), events.size());

  int available = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const CounterValue& c = v[i];
    SCOPED_TRACE(c.event);
    EXPECT_EQ(c.event, events[i]);
    if (c.value.has_value()) {
      ++available;
      EXPECT_TRUE(c.reason.empty());
      EXPECT_GT(c.time_running_ns, 0u);
      EXPECT_EQ(c.multiplexed, c.time_running_ns < c.time_enabled_ns);
      const double expect =
          c.multiplexed ? static_cast<double>(c.raw) * static_cast<double>(c.time_enabled_ns) /
                              static_cast<double>(c.time_running_ns)
                        : static_cast<double>(c.raw);
      EXPECT_DOUBLE_EQ(*c.value, expect);
      // Cache misses may really be 0 over a tight loop; cycles and
      // instructions over 5 ms of spinning may not.
      if (c.event == "cycles" || c.event == "instructions" || c.event == "task-clock") {
        EXPECT_GT(*c.value, 0.0);
      }
    } else {
      EXPECT_FALSE(c.reason.empty());
      EXPECT_EQ(c.raw, 0u);
      const bool explained = c.reason.find("ENOENT") != std::string::npos ||
                             c.reason.find("PMU") != std::string::npos ||
                             c.reason.find("permission denied") != std::string::npos;
      EXPECT_TRUE(explained) << c.reason;
      if (c.reason.find("no hardware PMU") != std::string::npos) {
        // x86 registers its core PMU as "cpu"; claiming there is none while
        // the kernel lists one would be a misdiagnosis.
        EXPECT_FALSE(std::filesystem::exists("/sys/bus/event_source/devices/cpu"));
      }
    }
    // The probe for machine.json must agree with what a worker gets.
    EXPECT_EQ(probe[i].first, c.event);
    EXPECT_EQ(probe[i].second.empty(), c.value.has_value()) << probe[i].second;
  }
  // Whatever the hardware events did, the software one still counts.
  EXPECT_TRUE(v.back().value.has_value()) << v.back().reason;
  EXPECT_EQ(g.num_open(), available);
}

TEST(PerfCounters, UnknownNameIsAnError) {
  const absl::Status s = CheckEventName("no-such-event-xyz");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(std::string(s.message()), "no-such-event-xyz"));
  EXPECT_TRUE(HasSubstr(std::string(s.message()), "libpfm4"));
  EXPECT_FALSE(CheckEventName("").ok());
  EXPECT_FALSE(CheckEventName("cycles:no_such_modifier").ok());
}

TEST(PerfCounters, KnownNamesPass) {
  for (const std::string& name : DefaultEvents()) {
    EXPECT_TRUE(CheckEventName(name).ok()) << name << ": " << CheckEventName(name);
  }
  for (const char* name : {"task-clock", "cpu-clock", "page-faults", "cs", "branch-misses"}) {
    EXPECT_TRUE(CheckEventName(name).ok()) << name << ": " << CheckEventName(name);
  }
}

TEST(PerfCounters, DefaultEventsMatchDesign) {
  EXPECT_EQ(DefaultEvents(),
            (std::vector<std::string>{"cycles", "instructions", "cache-misses",
                                      "L1-dcache-load-misses", "context-switches",
                                      "cpu-migrations"}));
}

TEST(PerfCounters, UnknownNameInGroupIsNullAndOthersCount) {
  PerfGroup g = PerfGroup::OpenForThisThread({"no-such-event-xyz", "task-clock"});
  g.Start();
  SpinCpu(1 * kMs);
  g.Stop();
  const std::vector<CounterValue> v = g.Read();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_FALSE(v[0].value.has_value());
  EXPECT_EQ(v[0].reason, "libpfm4: event not found");
  ASSERT_TRUE(v[1].value.has_value()) << v[1].reason;
  EXPECT_GE(*v[1].value, 1.0 * kMs * 0.99);
}

TEST(PerfCounters, ReadKeepsRequestedOrder) {
  const std::vector<std::string> events = {"context-switches", "no-such-event-xyz",
                                           "task-clock", "cycles", "task-clock"};
  PerfGroup g = PerfGroup::OpenForThisThread(events);
  EXPECT_EQ(g.events(), events);
  g.Start();
  SpinCpu(5 * kMs);
  SleepTimes(2);
  g.Stop();
  const std::vector<CounterValue> v = g.Read();
  ASSERT_EQ(v.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(v[i].event, events[i]);
  SKIP_IF_PERMISSION_DENIED(v[0]);
  // Values must sit at their own event's index, not merely the names: a
  // mix-up of group-read ids would put ~5e6 ns where a handful of switches
  // belong.
  ASSERT_TRUE(v[0].value && v[2].value && v[4].value);
  EXPECT_GE(*v[0].value, 2.0);
  EXPECT_LT(*v[0].value, 1e5);
  EXPECT_GE(*v[2].value, 5.0 * kMs * 0.99);
  EXPECT_GE(*v[4].value, 5.0 * kMs * 0.99);
  EXPECT_FALSE(v[1].value.has_value());
}

TEST(PerfCounters, GroupsArePerThread) {
  std::vector<CounterValue> busy, sleepy;
  const std::vector<std::string> events = {"task-clock", "context-switches"};

  // The main thread's own group runs the whole time but only waits.
  PerfGroup main_group = PerfGroup::OpenForThisThread(events);
  main_group.Start();
  std::thread a([&] {
    PerfGroup g = PerfGroup::OpenForThisThread(events);
    g.Start();
    SpinCpu(30 * kMs);
    g.Stop();
    busy = g.Read();
  });
  std::thread b([&] {
    PerfGroup g = PerfGroup::OpenForThisThread(events);
    g.Start();
    SleepTimes(10);
    g.Stop();
    sleepy = g.Read();
  });
  a.join();
  b.join();
  main_group.Stop();
  std::vector<CounterValue> mine = main_group.Read();

  ASSERT_EQ(busy.size(), 2u);
  ASSERT_EQ(mine.size(), 2u);
  for (const auto* v : {&busy, &sleepy, &mine}) {
    ASSERT_TRUE((*v)[0].value.has_value()) << (*v)[0].reason;
  }
  // Thread a burnt 30 ms; b and main mostly slept. Were the groups counting
  // the process rather than their thread, b and main would include a's time.
  EXPECT_GE(*busy[0].value, 30.0 * kMs * 0.99);
  EXPECT_LT(*sleepy[0].value, *busy[0].value / 2);
  EXPECT_LT(*mine[0].value, *busy[0].value / 2);

  SKIP_IF_PERMISSION_DENIED(sleepy[1]);
  for (const auto* v : {&busy, &sleepy, &mine}) {
    ASSERT_TRUE((*v)[1].value.has_value()) << (*v)[1].reason;
  }
  EXPECT_GE(*sleepy[1].value, 10.0);
  EXPECT_GE(*mine[1].value, 1.0);  // join() blocks
}

TEST(PerfCounters, StartBeginsAFreshInterval) {
  PerfGroup g = PerfGroup::OpenForThisThread({"task-clock"});
  g.Start();
  SpinCpu(20 * kMs);
  g.Stop();
  const CounterValue first = g.Read()[0];
  ASSERT_TRUE(first.value.has_value()) << first.reason;

  g.Start();
  g.Stop();
  const CounterValue second = g.Read()[0];
  // RESET clears counts but not the kernel's enabled/running times; both
  // must start over, or the multiplexing ratio would mix intervals.
  EXPECT_LT(second.time_enabled_ns, first.time_enabled_ns / 2);
  if (second.value.has_value()) {
    EXPECT_LT(*second.value, *first.value / 2);
  } else {
    EXPECT_FALSE(second.reason.empty());
  }
}

TEST(PerfCounters, ReadBeforeStartIsNull) {
  PerfGroup g = PerfGroup::OpenForThisThread({"task-clock"});
  ASSERT_EQ(g.num_open(), 1);
  const std::vector<CounterValue> v = g.Read();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0].value.has_value());
  EXPECT_TRUE(HasSubstr(v[0].reason, "never enabled"));
}

TEST(PerfCounters, MoveTransfersTheGroup) {
  PerfGroup a = PerfGroup::OpenForThisThread({"task-clock"});
  PerfGroup b = std::move(a);
  EXPECT_EQ(b.num_open(), 1);
  EXPECT_EQ(a.num_open(), 0);  // NOLINT(bugprone-use-after-move): defined state
  b.Start();
  SpinCpu(1 * kMs);
  b.Stop();
  const std::vector<CounterValue> v = b.Read();
  ASSERT_EQ(v.size(), 1u);
  ASSERT_TRUE(v[0].value.has_value()) << v[0].reason;
  PerfGroup c;
  c = std::move(b);
  EXPECT_EQ(c.num_open(), 1);
  EXPECT_TRUE(c.Read()[0].value.has_value());
}

TEST(PerfCounters, ProbeReportsPerEvent) {
  const auto p = ProbeEvents({"task-clock", "no-such-event-xyz"});
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].first, "task-clock");
  EXPECT_EQ(p[0].second, "");
  EXPECT_EQ(p[1].first, "no-such-event-xyz");
  EXPECT_EQ(p[1].second, "libpfm4: event not found");
}

CounterValue Make(std::string event, std::optional<double> value, uint64_t raw,
                  uint64_t enabled, uint64_t running, std::string reason = "") {
  CounterValue c;
  c.event = std::move(event);
  c.value = value;
  c.raw = raw;
  c.time_enabled_ns = enabled;
  c.time_running_ns = running;
  c.multiplexed = running < enabled;
  c.reason = std::move(reason);
  return c;
}

TEST(SumCounters, SumsScaledValuesAndPropagatesNull) {
  const std::vector<std::vector<CounterValue>> per_thread = {
      {Make("cycles", 10.0, 10, 100, 100), Make("cs", 3.0, 3, 100, 100),
       Make("ipc", std::nullopt, 0, 0, 0, "no hardware PMU: perf_event_open ENOENT")},
      // Thread 1 ran its group half the time: 15 raw scales to 30.
      {Make("cycles", 30.0, 15, 200, 100), Make("cs", std::nullopt, 0, 0, 0, "later reason"),
       Make("ipc", std::nullopt, 0, 0, 0, "other")},
      {Make("cycles", 5.0, 5, 50, 50), Make("cs", 4.0, 4, 50, 50),
       Make("ipc", std::nullopt, 0, 0, 0, "other")},
  };
  const auto sum = SumCounters(per_thread);
  ASSERT_TRUE(sum.ok()) << sum.status();
  ASSERT_EQ(sum->size(), 3u);

  const CounterValue& cycles = (*sum)[0];
  EXPECT_EQ(cycles.event, "cycles");
  ASSERT_TRUE(cycles.value.has_value());
  EXPECT_DOUBLE_EQ(*cycles.value, 45.0);  // scaled values add, not raw
  EXPECT_EQ(cycles.raw, 30u);
  EXPECT_EQ(cycles.time_enabled_ns, 350u);
  EXPECT_EQ(cycles.time_running_ns, 250u);
  EXPECT_TRUE(cycles.multiplexed);
  EXPECT_TRUE(cycles.reason.empty());

  // Null in one thread (not the first) makes the sum null, even though the
  // other threads counted.
  const CounterValue& cs = Find(*sum, "cs");
  EXPECT_FALSE(cs.value.has_value());
  EXPECT_EQ(cs.reason, "later reason");
  EXPECT_FALSE(cs.multiplexed);

  const CounterValue& ipc = Find(*sum, "ipc");
  EXPECT_FALSE(ipc.value.has_value());
  EXPECT_EQ(ipc.reason, "no hardware PMU: perf_event_open ENOENT");  // first thread's
}

TEST(SumCounters, NotMultiplexedWhenNoThreadWas) {
  const auto sum = SumCounters({{Make("a", 1.0, 1, 10, 10)}, {Make("a", 2.0, 2, 20, 20)}});
  ASSERT_TRUE(sum.ok());
  EXPECT_FALSE((*sum)[0].multiplexed);
  EXPECT_DOUBLE_EQ(*(*sum)[0].value, 3.0);
}

TEST(SumCounters, RejectsMismatchedThreads) {
  EXPECT_EQ(SumCounters({{Make("a", 1.0, 1, 1, 1)}, {}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  const auto renamed = SumCounters({{Make("a", 1.0, 1, 1, 1)}, {Make("b", 1.0, 1, 1, 1)}});
  EXPECT_EQ(renamed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(std::string(renamed.status().message()), "\"b\""));
  const auto empty = SumCounters({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(SumCounters, SumsRealThreads) {
  // End to end: two real groups summed give the sum of their task-clocks.
  std::vector<std::vector<CounterValue>> per_thread(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&per_thread, t] {
      PerfGroup g = PerfGroup::OpenForThisThread({"task-clock", "no-such-event-xyz"});
      g.Start();
      SpinCpu(5 * kMs);
      g.Stop();
      per_thread[t] = g.Read();
    });
  }
  for (std::thread& t : threads) t.join();
  const auto sum = SumCounters(per_thread);
  ASSERT_TRUE(sum.ok()) << sum.status();
  ASSERT_TRUE((*sum)[0].value.has_value()) << (*sum)[0].reason;
  ASSERT_TRUE(per_thread[0][0].value && per_thread[1][0].value);
  EXPECT_DOUBLE_EQ(*(*sum)[0].value, *per_thread[0][0].value + *per_thread[1][0].value);
  EXPECT_GE(*(*sum)[0].value, 10.0 * kMs * 0.99);
  EXPECT_FALSE((*sum)[1].value.has_value());
  EXPECT_EQ((*sum)[1].reason, "libpfm4: event not found");
}

}  // namespace
}  // namespace ratelab
