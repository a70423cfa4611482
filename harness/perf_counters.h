// Per-thread hardware/software event counters for the benchmark workers.
//
// Each worker thread, after pinning itself, calls PerfGroup::OpenForThisThread
// with the event names from --events. That opens ONE perf_event group that
// counts the calling thread only (pid = 0, cpu = -1), on whatever CPU it runs.
// One group rather than independent events so that every event in it is
// scheduled onto the PMU together: the counts cover the same instants, and
// when the kernel has to multiplex, all of them share one enabled/running
// ratio.
//
// Names are resolved by libpfm4, so "cycles", "L1-dcache-load-misses",
// "context-switches" and also CPU-specific native names all work.
//
// Two ways an event can fail, kept apart on purpose:
//   * the NAME is not known to libpfm4 (a typo in --events): CheckEventName
//     returns an error, and bench_all rejects the flag before running;
//   * the name is valid but this machine cannot count it (no PMU in a VM,
//     perf_event_paranoid, out of counters): the event is left out of the
//     group and every Read() reports it as a null value with a reason, while
//     the other events are still counted.
#ifndef RATELAB_HARNESS_PERF_COUNTERS_H_
#define RATELAB_HARNESS_PERF_COUNTERS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ratelab {

// One event's count over the interval between PerfGroup::Start and Read (or
// the sum of that over threads). `value` is null exactly when `reason` is not
// empty; RESULTS.md writes a null beside its reason, never a 0.
struct CounterValue {
  std::string event;
  // raw * time_enabled / time_running when the group was multiplexed, else
  // raw. For task-clock/cpu-clock this is nanoseconds.
  std::optional<double> value;
  uint64_t raw = 0;
  uint64_t time_enabled_ns = 0;
  uint64_t time_running_ns = 0;
  bool multiplexed = false;  // time_running_ns < time_enabled_ns
  std::string reason;        // empty when available
};

// OK if libpfm4 (or, for the standard software events, ratelab's own table)
// can resolve `name`; otherwise InvalidArgument with a message that names the
// event and says what libpfm4 answered. Says nothing about whether this
// machine can count it: see ProbeEvents.
absl::Status CheckEventName(std::string_view name);

// The default --events list from the design: cycles, instructions,
// cache-misses, L1-dcache-load-misses, context-switches, cpu-migrations.
std::vector<std::string> DefaultEvents();

// One perf_event group counting the thread that opened it. Move-only; closes
// its file descriptors when destroyed. Not thread-safe: Start/Stop/Read must
// be called by one thread at a time (normally the owner).
class PerfGroup {
 public:
  // Opens the group for the calling thread. Never fails as a whole: events
  // that cannot be opened are left out and reported with a reason by Read().
  // The group leader is the first event that opened; the leader starts
  // disabled, so nothing counts until Start().
  static PerfGroup OpenForThisThread(const std::vector<std::string>& events);

  PerfGroup() = default;
  PerfGroup(PerfGroup&& other) noexcept;
  PerfGroup& operator=(PerfGroup&& other) noexcept;
  PerfGroup(const PerfGroup&) = delete;
  PerfGroup& operator=(const PerfGroup&) = delete;
  ~PerfGroup();

  // Zeroes the counts and enables the whole group (one ioctl on the leader).
  void Start();
  // Disables the whole group. Read() after Stop() gives the Start..Stop span.
  void Stop();
  // One entry per requested event, in the requested order. Counts since the
  // last Start(); may be called while running.
  std::vector<CounterValue> Read() const;

  // How many of the requested events are in the group (opened).
  int num_open() const;
  const std::vector<std::string>& events() const { return names_; }

 private:
  void CloseAll();

  struct Member {
    int fd = -1;
    uint64_t id = 0;     // kernel id, matches the group read's entries
    std::string reason;  // why it is not in the group; empty if it is
  };

  std::vector<std::string> names_;
  std::vector<Member> members_;  // parallel to names_
  int leader_fd_ = -1;
  // PERF_EVENT_IOC_RESET zeroes counts but not time_enabled/time_running, so
  // Start() records the times (and counts, for symmetry) and Read() reports
  // the difference: each Start..Read span gets its own multiplexing ratio.
  uint64_t base_enabled_ = 0;
  uint64_t base_running_ = 0;
  std::vector<uint64_t> base_raw_;  // parallel to names_
  // Set if an ioctl or read on the leader failed; Read() then reports every
  // event as null with this reason rather than a count of unknown meaning.
  std::string group_error_;
};

// Which of `events` this machine can count, as the workers would open them:
// one group for the calling thread, briefly enabled. Returns (name, reason)
// in order; reason is "" when the event counted.
std::vector<std::pair<std::string, std::string>> ProbeEvents(
    const std::vector<std::string>& events);

// Sums per-thread results into one entry per event. Every inner vector must
// list the same events in the same order (InvalidArgument otherwise). The
// sum's value is null if any thread's is (with the first thread's reason),
// multiplexed if any thread's was, and raw and the times are summed; value is
// the sum of the per-thread scaled values, since each thread's group had its
// own multiplexing ratio. An empty outer vector gives an empty result.
absl::StatusOr<std::vector<CounterValue>> SumCounters(
    const std::vector<std::vector<CounterValue>>& per_thread);

}  // namespace ratelab

#endif  // RATELAB_HARNESS_PERF_COUNTERS_H_
