// One template per measurement, instantiated for every variant: a scaling
// point and an accuracy point, each returning the raw record of RESULTS.md.
#ifndef RATELAB_HARNESS_EXPERIMENTS_H_
#define RATELAB_HARNESS_EXPERIMENTS_H_

#include <optional>
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

template <class V>
absl::StatusOr<PointOutcome> RunScalingPoint(const std::string& regime,
                                             int threads, int repetition,
                                             int cpu_count,
                                             const TeamConfig& base) {
  const Limits limits =
      regime == "admit" ? AdmitRegimeLimits() : RejectRegimeLimits();
  Options o;
  o.max_threads = threads;
  auto made = V::Create(limits, o);
  if (!made.ok()) return made.status();
  TeamConfig cfg = base;
  cfg.threads = threads;
  cfg.bin_ns = 0;
  SaturatingLoad load;
  TeamResult r = RunTeam(**made, cfg, load);
  PointOutcome out;
  out.interrupted = r.interrupted;
  const uint64_t attempts = SumAttempts(r);
  out.attempts_per_s = attempts / (r.duration_ns / 1e9);
  out.record = {
      {"variant", std::string(V::kName)},
      {"regime", regime},
      {"threads", threads},
      {"oversubscribed", threads > cpu_count},
      {"repetition", repetition},
      {"limits", LimitsJson(limits)},
      {"duration_ns", r.duration_ns},
      {"ticks", r.ticks},
      {"attempts", attempts},
      {"admitted", SumAdmitted(r)},
      {"per_thread", ThreadsJson(r)},
      {"counters", CountersJson(r, attempts)},
  };
  return out;
}

template <class V>
absl::StatusOr<PointOutcome> RunAccuracyPoint(const LoadSpec& spec, int threads,
                                              int repetition,
                                              const TeamConfig& base) {
  const Limits limits = AccuracyLimits();
  Options o;
  o.max_threads = threads;
  auto made = V::Create(limits, o);
  if (!made.ok()) return made.status();
  V& v = **made;
  TeamConfig cfg = base;
  cfg.threads = threads;
  cfg.bin_ns = limits.window_ns / 100;
  cfg.events.clear();  // counters belong to the scaling experiment
  const double rate = static_cast<double>(limits.limit) * 1e9 /
                      static_cast<double>(limits.window_ns);
  TeamResult r;
  if (spec.pattern == "saturating") {
    SaturatingLoad load;
    r = RunTeam(v, cfg, load);
  } else if (spec.pattern == "paced") {
    PacedLoad load{*spec.offered_ratio * rate};
    r = RunTeam(v, cfg, load);
  } else {
    // 37% of a window on, 51% off: a 0.88 W cycle that slides across the
    // window boundaries instead of lining up with them.
    OnOffLoad load{limits.window_ns * 37 / 100, limits.window_ns * 51 / 100,
                   SteadyClock{}.Now()};
    r = RunTeam(v, cfg, load);
  }
  PointOutcome out;
  out.interrupted = r.interrupted;

  AccuracyInput in;
  in.bin_ns = cfg.bin_ns;
  in.limits = limits;
  in.promise = v.promise();
  in.elapsed_ns = r.duration_ns;
  in.attempts = SumAttempts(r);
  in.admitted = SumAdmitted(r);
  in.rejected = in.attempts - in.admitted;
  in.offered_ratio = spec.offered_ratio;
  // Merge the bins; only those inside the measured interval count.
  const size_t nbins =
      static_cast<size_t>((r.duration_ns + cfg.bin_ns - 1) / cfg.bin_ns);
  in.bins.assign(nbins, 0);
  for (const auto& t : r.threads) {
    in.per_thread_admitted.push_back(t.admitted);
    for (size_t i = 0; i < t.bins.size(); ++i) {
      in.bins[std::min(i, nbins - 1)] += t.bins[i];
    }
  }
  const AccuracyMetrics m = ComputeAccuracy(in);
  out.attempts_per_s = in.attempts / (r.duration_ns / 1e9);
  out.record = {
      {"variant", std::string(V::kName)},
      {"pattern", spec.pattern},
      {"offered_ratio", spec.offered_ratio ? nlohmann::json(*spec.offered_ratio)
                                           : nlohmann::json(nullptr)},
      {"threads", threads},
      {"repetition", repetition},
      {"limits", LimitsJson(limits)},
      {"bin_ns", cfg.bin_ns},
      {"elapsed_ns", r.duration_ns},
      {"attempts", in.attempts},
      {"admitted", in.admitted},
      {"rejected", in.rejected},
      {"bins", in.bins},
      {"per_thread_admitted", in.per_thread_admitted},
      {"promise", PromiseJson(in.promise, m.max_in_window)},
      {"metrics", MetricsJson(m)},
  };
  return out;
}

}  // namespace ratelab

#endif  // RATELAB_HARNESS_EXPERIMENTS_H_
