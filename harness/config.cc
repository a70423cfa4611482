#include "harness/config.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "harness/machine.h"
#include "harness/perf_counters.h"
#include "re2/re2.h"
#include "variants/redis_client.h"
#include "variants/registry.h"

namespace ratelab {
namespace {

absl::Status Bad(const std::string& flag, const std::string& value,
                 const std::string& why) {
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, "=", value, ": ", why));
}

absl::StatusOr<std::vector<std::string>> PickVariants(const std::string& spec) {
  std::vector<std::string> all;
  for (const auto& v : ListVariants()) all.emplace_back(v.name);
  if (spec == "all" || spec.empty()) return all;
  // A comma list of exact names...
  std::vector<std::string> items = absl::StrSplit(spec, ',', absl::SkipEmpty());
  const bool names = std::all_of(items.begin(), items.end(), [&](const auto& s) {
    return std::find(all.begin(), all.end(), s) != all.end();
  });
  if (names) {
    std::vector<std::string> out;
    for (const auto& v : all) {  // registry order, no duplicates
      if (std::find(items.begin(), items.end(), v) != items.end()) out.push_back(v);
    }
    return out;
  }
  // ...or one regular expression matched against whole names, with RE2:
  // matching takes linear time whatever the pattern. (libstdc++'s std::regex
  // backtracked for minutes on "0***..." and overflowed a signed integer on
  // a long repetition count; config_fuzz found both.)
  constexpr size_t kMaxPattern = 200;
  if (spec.size() > kMaxPattern) {
    return Bad("variants", spec.substr(0, 40) + "...",
               absl::StrCat("a pattern longer than ", kMaxPattern, " characters"));
  }
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_max_mem(1 << 20);
  const RE2 re(spec, opts);
  if (!re.ok()) {
    return Bad("variants", spec,
               absl::StrCat("neither variant names nor a valid regex (", re.error(), ")"));
  }
  std::vector<std::string> out;
  for (const auto& v : all) {
    if (RE2::FullMatch(v, re)) out.push_back(v);
  }
  if (out.empty()) {
    return Bad("variants", spec,
               absl::StrCat("matches no variant (see --list): ",
                            absl::StrJoin(all, ", ")));
  }
  return out;
}

absl::StatusOr<std::vector<int>> PickThreads(const std::string& spec,
                                             int online) {
  std::vector<int> out;
  if (spec.empty()) {
    for (int t = 1; t <= 2 * online; t *= 2) out.push_back(t);
    if (out.back() != 2 * online) out.push_back(2 * online);
    return out;
  }
  for (const std::string& item : std::vector<std::string>(absl::StrSplit(spec, ','))) {
    int t = 0;
    if (!absl::SimpleAtoi(item, &t)) {
      return Bad("threads", spec, absl::StrCat("'", item, "' is not a number"));
    }
    if (t < 1 || t > kMaxFlagThreads) {
      return Bad("threads", spec,
                 absl::StrCat("thread count ", t, " is outside [1, ",
                              kMaxFlagThreads, "]"));
    }
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  }
  return out;
}

absl::StatusOr<int64_t> Seconds(const std::string& flag, double s) {
  if (!(s > 0) || !std::isfinite(s) || s > 3600) {
    return Bad(flag, absl::StrCat(s), "must be a positive number of seconds (at most 3600)");
  }
  return static_cast<int64_t>(s * 1e9);
}

}  // namespace

bool Config::Has(const std::string& e) const {
  return std::find(experiments.begin(), experiments.end(), e) !=
         experiments.end();
}

absl::Status CheckOutputDir(const std::string& dir) {
  namespace fs = std::filesystem;
  if (dir.empty()) return Bad("out", dir, "must not be empty");
  std::error_code ec;
  fs::path p = fs::absolute(dir, ec);
  while (!p.empty() && !fs::exists(p, ec)) {
    if (p == p.parent_path()) break;
    p = p.parent_path();
  }
  if (!fs::is_directory(p, ec)) {
    return Bad("out", dir, absl::StrCat(p.string(), " is not a directory"));
  }
  if (access(p.c_str(), W_OK | X_OK) != 0) {
    return Bad("out", dir, absl::StrCat(p.string(), " is not writable"));
  }
  return absl::OkStatus();
}

bool Config::NeedsRedis() const {
  bool needs = false;
  ForEachVariant<SteadyClock>([&]<class V>() {
    if constexpr (requires { V::kStoreBacked; }) {
      needs = needs || std::find(variants.begin(), variants.end(),
                                 std::string(V::kName)) != variants.end();
    }
  });
  return needs;
}

absl::StatusOr<Config> ParseConfig(const RawFlags& raw) {
  Config c;
  const std::vector<int> online = OnlineCpus();
  c.online_cpus = static_cast<int>(online.size());
  c.quick = raw.quick;

  auto variants = PickVariants(raw.variants);
  if (!variants.ok()) return variants.status();
  c.variants = *variants;

  auto threads = PickThreads(raw.threads, c.online_cpus);
  if (!threads.ok()) return threads.status();
  c.threads = *threads;

  auto d = Seconds("duration", raw.duration_s);
  if (!d.ok()) return d.status();
  c.duration_ns = *d;
  auto ad = Seconds("accuracy_duration", raw.accuracy_duration_s);
  if (!ad.ok()) return ad.status();
  c.accuracy_duration_ns = *ad;
  if (raw.warmup_s < 0 || !std::isfinite(raw.warmup_s) || raw.warmup_s > 60) {
    return Bad("warmup", absl::StrCat(raw.warmup_s), "must be in [0, 60] seconds");
  }
  c.warmup_ns = static_cast<int64_t>(raw.warmup_s * 1e9);

  if (raw.repetitions < 1) {
    return Bad("repetitions", absl::StrCat(raw.repetitions), "must be at least 1");
  }
  c.repetitions = raw.repetitions;

  static const std::vector<std::string> kExperiments = {"scaling", "accuracy",
                                                        "percall"};
  for (const std::string& e : std::vector<std::string>(absl::StrSplit(raw.experiments, ',', absl::SkipEmpty()))) {
    if (std::find(kExperiments.begin(), kExperiments.end(), e) == kExperiments.end()) {
      return Bad("experiments", raw.experiments,
                 absl::StrCat("unknown experiment '", e,
                              "' (known: scaling, accuracy, percall)"));
    }
    if (!c.Has(std::string(e))) c.experiments.emplace_back(e);
  }
  if (c.experiments.empty()) {
    return Bad("experiments", raw.experiments, "names no experiment");
  }

  if (raw.events == "default") {
    c.events = DefaultEvents();
  } else if (raw.events != "none") {
    for (const std::string& e : std::vector<std::string>(absl::StrSplit(raw.events, ',', absl::SkipEmpty()))) {
      if (auto s = CheckEventName(e); !s.ok()) {
        return Bad("events", raw.events, std::string(s.message()));
      }
      c.events.emplace_back(e);
    }
  }

  if (raw.cpus.empty()) {
    c.cpus = online;
  } else {
    auto cpus = ParseCpuList(raw.cpus);
    if (!cpus.ok()) return Bad("cpus", raw.cpus, std::string(cpus.status().message()));
    for (int cpu : *cpus) {
      if (std::find(online.begin(), online.end(), cpu) == online.end()) {
        return Bad("cpus", raw.cpus, absl::StrCat("CPU ", cpu, " is not online"));
      }
    }
    c.cpus = *cpus;
  }

  if (raw.tick_us < 1 || raw.tick_us > 1'000'000) {
    return Bad("tick_us", absl::StrCat(raw.tick_us), "must be in [1, 1000000]");
  }
  c.tick_ns = int64_t{raw.tick_us} * 1000;
  if (!(raw.percall_min_time_s > 0) || raw.percall_min_time_s > 60) {
    return Bad("percall_min_time", absl::StrCat(raw.percall_min_time_s),
               "must be in (0, 60] seconds");
  }
  c.percall_min_time_s = raw.percall_min_time_s;

  if (!raw.redis.empty()) {
    // Only the syntax here; bench_all checks the server answers before it
    // writes anything.
    auto ep = ParseRedisEndpoint(raw.redis);
    if (!ep.ok()) return Bad("redis", raw.redis, std::string(ep.status().message()));
    c.redis = raw.redis;
  }
  if (raw.processes < 1 || raw.processes > kMaxProcesses) {
    return Bad("processes", absl::StrCat(raw.processes),
               absl::StrCat("must be in [1, ", kMaxProcesses, "]"));
  }
  c.processes = raw.processes;

  if (auto s = CheckOutputDir(raw.out); !s.ok()) return s;
  c.out = raw.out;
  return c;
}

}  // namespace ratelab
