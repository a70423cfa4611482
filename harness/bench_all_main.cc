// bench_all: runs every selected variant through the scaling, accuracy and
// per-call experiments and writes the raw records of harness/RESULTS.md into
// one folder per run. Progress goes to stderr; stdout carries only --list.
#include <signal.h>
#include <string.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "harness/config.h"
#include "harness/experiments.h"
#include "harness/machine.h"
#include "harness/percall.h"
#include "harness/results_writer.h"
#include "harness/team.h"
#include "variants/registry.h"

ABSL_FLAG(bool, list, false, "print one variant name per line, then exit");
ABSL_FLAG(std::string, variants, "all",
          "variants to run: 'all', a comma list of names, or a regex matched "
          "against whole names");
ABSL_FLAG(std::string, threads, "",
          "comma list of thread counts (default 1, 2, 4, ... up to 2x the "
          "online CPUs; counts above the CPU count are marked oversubscribed)");
ABSL_FLAG(double, duration, 0.3, "seconds measured per scaling point");
ABSL_FLAG(double, accuracy_duration, 0.5,
          "seconds measured per accuracy point (W = 0.1 s)");
ABSL_FLAG(double, warmup, 0.05, "seconds of warm-up before each point, discarded");
ABSL_FLAG(int, repetitions, 5,
          "repetitions of every point; variants are interleaved within each");
ABSL_FLAG(std::string, experiments, "scaling,accuracy,percall",
          "comma list of experiments: scaling, accuracy, percall");
ABSL_FLAG(std::string, events, "default",
          "perf events (libpfm4 names), 'default' or 'none'; an event this "
          "machine cannot count is recorded as null with the reason");
ABSL_FLAG(std::string, cpus, "",
          "CPUs to pin workers to, e.g. 0-3,8 (default: every online CPU)");
ABSL_FLAG(std::string, out, "results", "folder that receives the run's folder");
ABSL_FLAG(int, tick_us, 100, "ticker period in microseconds (sharded, leased)");
ABSL_FLAG(double, percall_min_time, 0.1,
          "Google Benchmark min time per per-call benchmark, seconds");
ABSL_FLAG(bool, quick, false,
          "smoke run: every variant and experiment in well under a minute "
          "(threads 1,2; short points; one repetition) unless flags say otherwise");

namespace ratelab {
namespace {

volatile sig_atomic_t g_signal_number = 0;

void OnSignal(int sig) {
  g_signal_number = sig;
  InterruptFlag().store(true, std::memory_order_relaxed);
}

// The command line as given, for --quick's "unless flags say otherwise".
// (This Abseil release keeps CommandLineFlag::IsSpecifiedOnCommandLine
// private, so look at argv.)
std::vector<std::string>& Argv() {
  static std::vector<std::string> args;
  return args;
}

bool Specified(const std::string& name) {
  for (const std::string& a : Argv()) {
    if (a == "--" + name || a.rfind("--" + name + "=", 0) == 0 ||
        a == "-" + name || a.rfind("-" + name + "=", 0) == 0) {
      return true;
    }
  }
  return false;
}

RawFlags ReadFlags() {
  RawFlags r;
  r.variants = absl::GetFlag(FLAGS_variants);
  r.threads = absl::GetFlag(FLAGS_threads);
  r.duration_s = absl::GetFlag(FLAGS_duration);
  r.accuracy_duration_s = absl::GetFlag(FLAGS_accuracy_duration);
  r.warmup_s = absl::GetFlag(FLAGS_warmup);
  r.repetitions = absl::GetFlag(FLAGS_repetitions);
  r.experiments = absl::GetFlag(FLAGS_experiments);
  r.events = absl::GetFlag(FLAGS_events);
  r.cpus = absl::GetFlag(FLAGS_cpus);
  r.out = absl::GetFlag(FLAGS_out);
  r.tick_us = absl::GetFlag(FLAGS_tick_us);
  r.percall_min_time_s = absl::GetFlag(FLAGS_percall_min_time);
  r.quick = absl::GetFlag(FLAGS_quick);
  if (r.quick) {
    // Smoke defaults, each overridden by a flag given explicitly.
    if (!Specified("threads")) r.threads = "1,2";
    if (!Specified("duration")) r.duration_s = 0.02;
    if (!Specified("accuracy_duration")) r.accuracy_duration_s = 0.15;
    if (!Specified("warmup")) r.warmup_s = 0.005;
    if (!Specified("repetitions")) r.repetitions = 1;
    if (!Specified("percall_min_time")) r.percall_min_time_s = 0.002;
  }
  return r;
}

// Checks every --name=value against the flag's own parser before Abseil's
// ParseCommandLine sees it, so a malformed value or an unknown flag gets
// bench_all's message and exit status 2 (Abseil would exit 1).
absl::Status PrecheckFlags(const std::vector<std::string>& args) {
  static const char* const kAbseilOwn[] = {"help", "helpfull", "helpshort",
                                           "helppackage", "helpon", "helpmatch",
                                           "version", "only_check_args",
                                           "flagfile", "fromenv", "tryfromenv",
                                           "undefok"};
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;
    if (a.size() < 2 || a[0] != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", a, "' (flags look like --name=value)"));
    }
    const size_t dash = a[1] == '-' ? 2 : 1;
    const size_t eq = a.find('=');
    std::string name = a.substr(dash, eq == std::string::npos ? std::string::npos : eq - dash);
    const bool own = std::any_of(std::begin(kAbseilOwn), std::end(kAbseilOwn),
                                 [&](const char* f) { return name == f; });
    if (own) continue;
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && name.rfind("no", 0) == 0) {
      absl::CommandLineFlag* b = absl::FindCommandLineFlag(name.substr(2));
      if (b != nullptr && b->IsOfType<bool>() && eq == std::string::npos) continue;
    }
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " (see --help)"));
    }
    std::string value;
    if (eq != std::string::npos) {
      value = a.substr(eq + 1);
    } else if (flag->IsOfType<bool>()) {
      continue;
    } else if (i + 1 < args.size()) {
      value = args[++i];  // "--name value"
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--", name, ": missing value"));
    }
    // ParseFrom sets the flag when the value parses; ParseCommandLine sets it
    // again to the same value below.
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, "=", value, ": ", error));
    }
  }
  return absl::OkStatus();
}

// One unit of work in the plan.
struct Point {
  std::string experiment;  // scaling | accuracy
  std::string variant;
  std::string regime;      // scaling
  LoadSpec load;           // accuracy
  int threads = 1;
  int repetition = 0;
  double est_s = 0;
};

std::vector<Point> Plan(const Config& c) {
  std::vector<Point> plan;
  const double warm = c.warmup_ns / 1e9;
  // The accuracy experiment runs at the largest thread count that is not
  // oversubscribed (the smallest given, if all are).
  const int cpus = static_cast<int>(c.cpus.size());
  int acc_threads = *std::min_element(c.threads.begin(), c.threads.end());
  for (int t : c.threads) {
    if (t <= cpus && t > acc_threads) acc_threads = t;
  }
  for (int rep = 0; rep < c.repetitions; ++rep) {
    if (c.Has("scaling")) {
      for (const char* regime : {"admit", "reject"}) {
        for (int t : c.threads) {
          for (const auto& v : c.variants) {  // variants innermost: interleaved
            plan.push_back({"scaling", v, regime, {}, t, rep,
                            warm + c.duration_ns / 1e9});
          }
        }
      }
    }
    if (c.Has("accuracy")) {
      for (const LoadSpec& load : AccuracyLoads()) {
        for (const auto& v : c.variants) {
          plan.push_back({"accuracy", v, "", load, acc_threads, rep,
                          warm + c.accuracy_duration_ns / 1e9});
        }
      }
    }
  }
  return plan;
}

std::string Eta(double s) {
  const int t = static_cast<int>(s + 0.5);
  return t >= 60 ? absl::StrFormat("%dm%02ds", t / 60, t % 60)
                 : absl::StrFormat("%ds", t);
}

template <class F>
void WithVariant(const std::string& name, F&& f) {
  ForEachVariant<SteadyClock>([&]<class V>() {
    if (V::kName == name) f.template operator()<V>();
  });
}

int Run(const Config& c, const std::vector<std::string>& argv) {
  // Events libpfm4 knows but this machine cannot count: a warning, then null.
  const auto probe = ProbeEvents(c.events);
  for (const auto& [name, reason] : probe) {
    if (!reason.empty()) {
      std::cerr << "bench_all: warning: event " << name
                << " unavailable, recorded as null: " << reason << "\n";
    }
  }
  auto folder = RunFolder::Create(c.out, MakeRunId());
  if (!folder.ok()) {
    std::cerr << "bench_all: error: " << folder.status().message() << "\n";
    return 2;
  }
  std::cerr << "bench_all: writing " << folder->path() << "\n";

  const std::vector<Point> plan = Plan(c);
  nlohmann::json run = {
      {"run_id", std::filesystem::path(folder->path()).filename().string()},
      {"status", "running"},
      {"started_utc", UtcNow()},
      {"finished_utc", nullptr},
      {"argv", argv},
      {"flags",
       {{"variants", c.variants},
        {"threads", c.threads},
        {"duration_s", c.duration_ns / 1e9},
        {"accuracy_duration_s", c.accuracy_duration_ns / 1e9},
        {"warmup_s", c.warmup_ns / 1e9},
        {"repetitions", c.repetitions},
        {"experiments", c.experiments},
        {"events", c.events},
        {"cpus", c.cpus},
        {"tick_us", c.tick_ns / 1000},
        {"percall_min_time_s", c.percall_min_time_s},
        {"quick", c.quick}}},
      {"points_total", plan.size() + (c.Has("percall") ? 1 : 0)},
      {"points_done", 0},
  };
  // A write that fails (disk full, file size limit) ends the run: the files
  // already there stay whole, and run.json says why if it still can.
  auto write = [&](const std::string& name, const nlohmann::json& j) {
    if (auto s = folder->WriteJson(name, j); !s.ok()) {
      std::cerr << "bench_all: error: " << s.message() << "\n";
      if (name != "run.json") {
        run["status"] = "failed";
        run["error"] = std::string(s.message());
        run["finished_utc"] = UtcNow();
        (void)folder->WriteJson("run.json", run);
      }
      return false;
    }
    return true;
  };
  nlohmann::json machine = DescribeMachine(c.events);
  if (!write("run.json", run) || !write("machine.json", machine)) return 1;

  nlohmann::json scaling = {{"records", nlohmann::json::array()}};
  nlohmann::json accuracy = {{"records", nlohmann::json::array()}};
  TeamConfig base;
  base.cpus = c.cpus;
  base.warmup_ns = c.warmup_ns;
  base.tick_ns = c.tick_ns;
  base.events = c.events;

  double left_s = 0;
  for (const auto& p : plan) left_s += p.est_s;
  const auto started = std::chrono::steady_clock::now();
  double planned_done_s = 0;
  int done = 0;
  bool interrupted = false;
  for (size_t i = 0; i < plan.size() && !interrupted; ++i) {
    const Point& p = plan[i];
    absl::StatusOr<PointOutcome> outcome = absl::UnknownError("no such variant");
    WithVariant(p.variant, [&]<class V>() {
      if (p.experiment == "scaling") {
        TeamConfig cfg = base;
        cfg.duration_ns = c.duration_ns;
        outcome = RunScalingPoint<V>(p.regime, p.threads, p.repetition,
                                     static_cast<int>(c.cpus.size()), cfg);
      } else {
        TeamConfig cfg = base;
        cfg.duration_ns = c.accuracy_duration_ns;
        outcome = RunAccuracyPoint<V>(p.load, p.threads, p.repetition, cfg);
      }
    });
    std::string what =
        p.experiment == "scaling"
            ? absl::StrCat("scaling ", p.variant, " ", p.regime, " threads=",
                           p.threads, p.threads > static_cast<int>(c.cpus.size()) ? " (oversubscribed)" : "")
            : absl::StrCat("accuracy ", p.variant, " ", p.load.pattern,
                           p.load.offered_ratio
                               ? absl::StrCat(" x", *p.load.offered_ratio)
                               : "",
                           " threads=", p.threads);
    if (outcome.ok() && outcome->interrupted) {
      interrupted = true;  // the cut-short point is not kept
      break;
    }
    planned_done_s += p.est_s;
    ++done;
    if (!outcome.ok()) {
      // A variant this machine cannot create (percpu_rseq without rseq):
      // said once per point, and the run goes on.
      std::cerr << absl::StrFormat("[%d/%d] %s rep=%d: skipped: %s\n", done,
                                   plan.size(), what, p.repetition,
                                   outcome.status().message());
      continue;
    }
    (p.experiment == "scaling" ? scaling : accuracy)["records"].push_back(
        std::move(outcome->record));
    const char* file = p.experiment == "scaling" ? "scaling.json" : "accuracy.json";
    if (!write(file, p.experiment == "scaling" ? scaling : accuracy)) return 1;
    run["points_done"] = done;
    if (!write("run.json", run)) return 1;
    const double elapsed = std::chrono::duration<double>(
                               std::chrono::steady_clock::now() - started)
                               .count();
    const double remaining = (left_s - planned_done_s) *
                             (planned_done_s > 0 ? elapsed / planned_done_s : 1.0);
    std::cerr << absl::StrFormat("[%d/%d] %s rep=%d: %.3g attempts/s; ~%s left\n",
                                 done, plan.size() + (c.Has("percall") ? 1 : 0),
                                 what, p.repetition, outcome->attempts_per_s,
                                 Eta(remaining));
  }
  if (!interrupted && c.Has("percall") && !InterruptFlag().load()) {
    std::cerr << "bench_all: percall (Google Benchmark, one thread)\n";
    auto json = RunPercall(c.variants, c.percall_min_time_s);
    if (!json.ok()) {
      std::cerr << "bench_all: error: percall: " << json.status().message() << "\n";
      return 1;
    }
    if (auto s = folder->WriteText("percall.json", *json); !s.ok()) {
      std::cerr << "bench_all: error: " << s.message() << "\n";
      run["status"] = "failed";
      run["error"] = std::string(s.message());
      (void)folder->WriteJson("run.json", run);
      return 1;
    }
    run["points_done"] = ++done;
  }
  interrupted = interrupted || InterruptFlag().load();
  run["status"] = interrupted ? "interrupted" : "complete";
  run["finished_utc"] = UtcNow();
  if (!write("run.json", run)) return 1;
  if (interrupted) {
    std::cerr << "bench_all: interrupted by signal " << g_signal_number << " after "
              << done << " points; completed points kept in " << folder->path()
              << "\n";
    return 130;
  }
  std::cerr << "bench_all: done: " << folder->path() << "\n";
  return 0;
}

}  // namespace
}  // namespace ratelab

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "bench_all: measures ratelab's rate limiters (throughput, perf counters, "
      "accuracy) and writes raw JSON records; see harness/RESULTS.md");
  std::vector<std::string> args(argv, argv + argc);
  ratelab::Argv() = args;
  if (auto s = ratelab::PrecheckFlags(args); !s.ok()) {
    std::cerr << "bench_all: error: " << s.message() << "\n";
    return 2;
  }
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_list)) {
    for (const auto& v : ratelab::ListVariants()) std::cout << v.name << "\n";
    return 0;
  }
  auto config = ratelab::ParseConfig(ratelab::ReadFlags());
  if (!config.ok()) {
    std::cerr << "bench_all: error: " << config.status().message() << "\n";
    return 2;
  }
  // Past a file size limit, write() then fails with EFBIG and bench_all says
  // which file, instead of dying of SIGXFSZ with a half-written temporary.
  signal(SIGXFSZ, SIG_IGN);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = ratelab::OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  return ratelab::Run(*config, args);
}
