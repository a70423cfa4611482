// One template per measurement, instantiated for every variant: a scaling
// point and an accuracy point, each returning the raw record of RESULTS.md.
#ifndef RATELAB_HARNESS_EXPERIMENTS_H_
#define RATELAB_HARNESS_EXPERIMENTS_H_

#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/accuracy.h"
#include "harness/loads.h"
#include "harness/perf_counters.h"
#include "harness/team.h"
#include "nlohmann/json.hpp"
#include "variants/limiter.h"

namespace ratelab {

// The limits of each scaling regime. Admit: a limit no run can reach (1e11
// permits per 100 s window, a bucket of 1e9), so every call takes the admit
// path. Reject: 1000 per 10 s, spent in the first microseconds, so almost
// every call takes the reject path.
inline Limits AdmitRegimeLimits() {
  return Limits{100'000'000'000, 100'000'000'000, 1'000'000'000};
}
inline Limits RejectRegimeLimits() {
  return Limits{1'000, 10'000'000'000, 1'000};
}
// Accuracy: R = 200k permits/s (L = 20000 per W = 100 ms, B = L), well under
// what one thread offers when saturating, and bins of W/100 = 1 ms.
inline Limits AccuracyLimits() {
  return Limits::WithDefaultBurst(20'000, 100'000'000);
}

struct LoadSpec {
  std::string pattern;                 // saturating, paced, onoff
  std::optional<double> offered_ratio;  // paced: k in offered = k * R
};

inline std::vector<LoadSpec> AccuracyLoads() {
  return {{"saturating", std::nullopt}, {"paced", 0.5}, {"paced", 1.0},
          {"paced", 2.0},               {"paced", 10.0}, {"onoff", std::nullopt}};
}

nlohmann::json LimitsJson(const Limits& l);
nlohmann::json PromiseJson(const Promise& p, uint64_t max_in_window);
nlohmann::json ThreadsJson(const TeamResult& r);
nlohmann::json CountersJson(const TeamResult& r, uint64_t attempts);
nlohmann::json MetricsJson(const AccuracyMetrics& m);

inline uint64_t SumAttempts(const TeamResult& r) {
  uint64_t s = 0;
  for (const auto& t : r.threads) s += t.attempts;
  return s;
}
inline uint64_t SumAdmitted(const TeamResult& r) {
  uint64_t s = 0;
  for (const auto& t : r.threads) s += t.admitted;
  return s;
}

struct PointOutcome {
  nlohmann::json record;
  bool interrupted = false;
  double attempts_per_s = 0;
};

// One point of the plan. `threads` counts the threads of all processes: a
// store-backed variant's point may be split over worker processes that share
// its limit through one redis key (--processes), the others run in one.
struct PointSpec {
  std::string experiment;  // scaling | accuracy
  std::string regime;      // scaling: admit | reject
  LoadSpec load;           // accuracy
  int threads = 1;
  int repetition = 0;
  int cpu_count = 1;       // CPUs the workers may use ("oversubscribed")
  std::string redis_key;   // "" = a fresh key (one process)
};

// One process's share of a point's threads.
struct ProcessPart {
  int index = 0;
  int threads = 1;
  int first_thread = 0;
};

// Splits `threads` over min(processes, threads) processes, as evenly as can be.
std::vector<ProcessPart> SplitThreads(int threads, int processes);

Limits PointLimits(const PointSpec& spec);
int64_t PointBinNs(const PointSpec& spec);

// A part's raw outcome and the variant's promise, before the record is made.
struct PartResult {
  TeamResult team;
  Promise promise;
};

// Runs this process's part of a point. A store-backed variant is told how
// many threads share its limit over all processes (it sizes leases and its
// bound from that); loads offer the part's share of the point's rate.
template <class V>
absl::StatusOr<PartResult> RunPart(const PointSpec& spec, const ProcessPart& part,
                                   const TeamConfig& base) {
  const Limits limits = PointLimits(spec);
  Options o;
  o.max_threads = part.threads;
  o.store_threads = spec.threads;
  o.redis_key = spec.redis_key;
  auto made = V::Create(limits, o);
  if (!made.ok()) return made.status();
  V& v = **made;
  TeamConfig cfg = base;
  cfg.threads = part.threads;
  cfg.bin_ns = PointBinNs(spec);
  PartResult out;
  out.promise = v.promise();
  if (spec.experiment == "scaling") {
    SaturatingLoad load;
    out.team = RunTeam(v, cfg, load);
  } else {
    cfg.events.clear();  // counters belong to the scaling experiment
    const double rate = static_cast<double>(limits.limit) * 1e9 /
                        static_cast<double>(limits.window_ns);
    const double share = static_cast<double>(part.threads) / spec.threads;
    if (spec.load.pattern == "saturating") {
      SaturatingLoad load;
      out.team = RunTeam(v, cfg, load);
    } else if (spec.load.pattern == "paced") {
      PacedLoad load{*spec.load.offered_ratio * rate * share};
      out.team = RunTeam(v, cfg, load);
    } else {
      // 37% of a window on, 51% off: a 0.88 W cycle that slides across the
      // window boundaries instead of lining up with them. Processes of one
      // point share the phase.
      OnOffLoad load{limits.window_ns * 37 / 100, limits.window_ns * 51 / 100,
                     cfg.start_at_ns > 0 ? cfg.start_at_ns : SteadyClock{}.Now()};
      out.team = RunTeam(v, cfg, load);
    }
  }
  for (auto& t : out.team.threads) {
    t.process = part.index;
    t.thread += part.first_thread;
  }
  return out;
}

// Parts of one point, merged: threads side by side, the longest interval.
TeamResult MergeParts(std::vector<TeamResult> parts);

// The raw record of RESULTS.md for a point, from its (merged) team result.
PointOutcome MakeRecord(std::string_view variant, const PointSpec& spec,
                        int processes, const TeamResult& r, const Promise& promise);

// A point run entirely in this process.
template <class V>
absl::StatusOr<PointOutcome> RunPointHere(const PointSpec& spec, const TeamConfig& base) {
  auto part = RunPart<V>(spec, ProcessPart{0, spec.threads, 0}, base);
  if (!part.ok()) return part.status();
  return MakeRecord(V::kName, spec, 1, part->team, part->promise);
}

// For worker processes: a part's result as JSON and back.
nlohmann::json PartResultJson(const PartResult& r);
absl::StatusOr<PartResult> PartResultFromJson(const nlohmann::json& j);

}  // namespace ratelab

#endif  // RATELAB_HARNESS_EXPERIMENTS_H_
