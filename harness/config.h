// bench_all's configuration: flag values checked and turned into a Config
// before anything is run or written, so bad input never leaves a results
// folder behind.
#ifndef RATELAB_HARNESS_CONFIG_H_
#define RATELAB_HARNESS_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ratelab {

// The flags as typed (strings where the syntax is ours to check).
struct RawFlags {
  std::string variants = "all";
  std::string threads;             // "" = 1, 2, 4, ... up to 2x online CPUs
  double duration_s = 0.3;
  double accuracy_duration_s = 0.5;
  double warmup_s = 0.05;
  int repetitions = 5;
  std::string experiments = "scaling,accuracy,percall";
  std::string events = "default";
  std::string cpus;                // "" = every online CPU
  std::string out = "results";
  int tick_us = 100;
  double percall_min_time_s = 0.1;
  bool quick = false;
  std::string redis;               // "" = start a private redis-server if needed
  int processes = 2;
};

struct Config {
  std::vector<std::string> variants;
  std::vector<int> threads;
  int64_t duration_ns = 0;
  int64_t accuracy_duration_ns = 0;
  int64_t warmup_ns = 0;
  int repetitions = 0;
  std::vector<std::string> experiments;
  std::vector<std::string> events;
  std::vector<int> cpus;
  std::string out;
  int64_t tick_ns = 0;
  double percall_min_time_s = 0;
  bool quick = false;
  int online_cpus = 0;
  std::string redis;     // host:port given with --redis, or ""
  int processes = 1;     // worker processes sharing a store-backed limit

  // Whether a selected variant keeps its limit in redis.
  bool NeedsRedis() const;

  bool Has(const std::string& experiment) const;
};

inline constexpr int kMaxFlagThreads = 4096;
inline constexpr int kMaxProcesses = 64;

// Checks every flag; the error names the flag and the value. Unknown perf
// event names are errors; names libpfm4 knows but this machine cannot count
// are accepted (they are recorded as null with the reason).
absl::StatusOr<Config> ParseConfig(const RawFlags& raw);

// Whether `dir` can hold a results folder: it exists and is a writable
// directory, or it does not exist and its nearest existing parent is.
absl::Status CheckOutputDir(const std::string& dir);

}  // namespace ratelab

#endif  // RATELAB_HARNESS_CONFIG_H_
