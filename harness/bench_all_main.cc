// bench_all: runs every selected variant through the scaling, accuracy and
// per-call experiments and writes the raw records of harness/RESULTS.md into
// one folder per run. Progress goes to stderr; stdout carries only --list.
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
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
#include "variants/redis_client.h"
#include "variants/redis_server.h"
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
ABSL_FLAG(std::string, redis, "",
          "host:port of the redis-server the store-backed variants (redis_*) "
          "use; default: bench_all starts its own on a free loopback port for "
          "the run and stops it afterwards");
ABSL_FLAG(int, processes, 2,
          "worker processes that share a store-backed variant's limit: each "
          "point's threads are split over up to this many bench_all processes "
          "(in-process variants always run in one)");
ABSL_FLAG(std::string, worker, "",
          "internal: run one process's part of a point described by this JSON "
          "file and write the result next to it (bench_all starts these itself)");
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
  r.redis = absl::GetFlag(FLAGS_redis);
  r.processes = absl::GetFlag(FLAGS_processes);
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

template <class V>
constexpr bool StoreBacked() {
  return requires { V::kStoreBacked; };
}

// --- Worker processes (--processes N) -------------------------------------
// The main process writes one JSON spec per part into a private temporary
// folder, starts `bench_all --worker=<spec>` for each, and reads back each
// part's result (spec + ".out", written whole). All parts start their warm-up
// at one CLOCK_MONOTONIC instant, so their bins share an origin.

nlohmann::json SpecJson(const std::string& variant, const PointSpec& spec,
                        const ProcessPart& part, const TeamConfig& team,
                        const std::string& redis) {
  return {{"variant", variant},
          {"experiment", spec.experiment},
          {"regime", spec.regime},
          {"pattern", spec.load.pattern},
          {"offered_ratio", spec.load.offered_ratio ? nlohmann::json(*spec.load.offered_ratio)
                                                    : nlohmann::json(nullptr)},
          {"threads", spec.threads},
          {"repetition", spec.repetition},
          {"cpu_count", spec.cpu_count},
          {"redis_key", spec.redis_key},
          {"redis", redis},
          {"part", {{"index", part.index}, {"threads", part.threads},
                    {"first_thread", part.first_thread}}},
          {"team", {{"cpus", team.cpus}, {"warmup_ns", team.warmup_ns},
                    {"duration_ns", team.duration_ns}, {"tick_ns", team.tick_ns},
                    {"events", team.events}, {"start_at_ns", team.start_at_ns}}}};
}

// Runs as `bench_all --worker=<spec>`: one part, result written next to it.
int RunWorker(const std::string& spec_path) {
  nlohmann::json j;
  try {
    std::ifstream in(spec_path);
    j = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    std::cerr << "bench_all worker: cannot read " << spec_path << ": " << e.what() << "\n";
    return 2;
  }
  absl::StatusOr<PartResult> result = absl::UnknownError("no such variant");
  try {
    PointSpec spec;
    spec.experiment = j.at("experiment").get<std::string>();
    spec.regime = j.at("regime").get<std::string>();
    spec.load.pattern = j.at("pattern").get<std::string>();
    if (!j.at("offered_ratio").is_null()) spec.load.offered_ratio = j.at("offered_ratio").get<double>();
    spec.threads = j.at("threads").get<int>();
    spec.repetition = j.at("repetition").get<int>();
    spec.cpu_count = j.at("cpu_count").get<int>();
    spec.redis_key = j.at("redis_key").get<std::string>();
    ProcessPart part{j.at("part").at("index").get<int>(), j.at("part").at("threads").get<int>(),
                     j.at("part").at("first_thread").get<int>()};
    TeamConfig team;
    const auto& t = j.at("team");
    team.cpus = t.at("cpus").get<std::vector<int>>();
    team.warmup_ns = t.at("warmup_ns").get<int64_t>();
    team.duration_ns = t.at("duration_ns").get<int64_t>();
    team.tick_ns = t.at("tick_ns").get<int64_t>();
    team.events = t.at("events").get<std::vector<std::string>>();
    team.start_at_ns = t.at("start_at_ns").get<int64_t>();
    SetDefaultRedisAddress(j.at("redis").get<std::string>());
    WithVariant(j.at("variant").get<std::string>(), [&]<class V>() {
      result = RunPart<V>(spec, part, team);
    });
  } catch (const nlohmann::json::exception& e) {
    std::cerr << "bench_all worker: bad spec " << spec_path << ": " << e.what() << "\n";
    return 2;
  }
  if (!result.ok()) {
    std::cerr << "bench_all worker: " << result.status().message() << "\n";
    return 1;
  }
  if (auto s = WriteFileAtomic(spec_path + ".out", PartResultJson(*result).dump()); !s.ok()) {
    std::cerr << "bench_all worker: " << s.message() << "\n";
    return 1;
  }
  return 0;
}

// Runs a point of a store-backed variant as one worker process per part.
absl::StatusOr<PointOutcome> RunPointInWorkers(const std::string& variant,
                                               PointSpec spec, TeamConfig team,
                                               const std::vector<ProcessPart>& parts,
                                               const std::string& redis) {
  char tmpl[] = "/tmp/ratelab-workers-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", strerror(errno)));
  }
  const std::filesystem::path dir(tmpl);
  struct Cleanup {
    std::filesystem::path d;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(d, ec);
    }
  } cleanup{dir};
  spec.redis_key = FreshRedisKey(variant);
  // Room for every worker to exec, connect and start its threads.
  team.start_at_ns = SteadyClock{}.Now() + 300'000'000;
  std::vector<pid_t> pids;
  std::vector<std::string> specs;
  for (const ProcessPart& part : parts) {
    TeamConfig mine = team;
    // Thread k of the point is pinned to cpus[k % size], whichever process runs it.
    if (!mine.cpus.empty()) {
      std::rotate(mine.cpus.begin(),
                  mine.cpus.begin() + part.first_thread % static_cast<int>(mine.cpus.size()),
                  mine.cpus.end());
    }
    const std::string path = (dir / absl::StrCat("part", part.index, ".json")).string();
    if (auto s = WriteFileAtomic(path, SpecJson(variant, spec, part, mine, redis).dump()); !s.ok()) {
      return s;
    }
    specs.push_back(path);
    const pid_t pid = fork();
    if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
    if (pid == 0) {
      const std::string flag = "--worker=" + path;
      execl("/proc/self/exe", "bench_all", flag.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    pids.push_back(pid);
  }
  // Wait for all; an interrupt of this process (SIGTERM to it alone) is
  // passed on, so the workers end their point too.
  bool forwarded = false;
  std::vector<int> status(pids.size(), -1);
  for (size_t left = pids.size(); left > 0;) {
    for (size_t i = 0; i < pids.size(); ++i) {
      if (status[i] != -1) continue;
      int st = 0;
      if (waitpid(pids[i], &st, WNOHANG) == pids[i]) {
        status[i] = st;
        --left;
      }
    }
    if (!forwarded && InterruptFlag().load()) {
      for (size_t i = 0; i < pids.size(); ++i) {
        if (status[i] == -1) kill(pids[i], SIGTERM);
      }
      forwarded = true;
    }
    if (left > 0) usleep(5000);
  }
  std::vector<TeamResult> teams;
  Promise promise;
  for (size_t i = 0; i < pids.size(); ++i) {
    if (!WIFEXITED(status[i]) || WEXITSTATUS(status[i]) != 0) {
      return absl::InternalError(absl::StrCat(
          "worker process ", i, " failed (",
          WIFEXITED(status[i]) ? absl::StrCat("exit ", WEXITSTATUS(status[i]))
                               : absl::StrCat("signal ", WTERMSIG(status[i])),
          ")"));
    }
    nlohmann::json j;
    try {
      std::ifstream in(specs[i] + ".out");
      j = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
      return absl::InternalError(absl::StrCat("worker ", i, " result: ", e.what()));
    }
    auto part = PartResultFromJson(j);
    if (!part.ok()) return part.status();
    if (i == 0) promise = part->promise;
    teams.push_back(std::move(part->team));
  }
  const TeamResult merged = MergeParts(std::move(teams));
  return MakeRecord(variant, spec, static_cast<int>(parts.size()), merged, promise);
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
  // The store: the one given, checked now (exit 2 before anything is
  // written), or a private server for the run, stopped when Run returns.
  std::unique_ptr<RedisServer> own_redis;
  std::string redis = c.redis;
  nlohmann::json redis_json = nullptr;
  if (c.NeedsRedis()) {
    if (redis.empty()) {
      auto server = RedisServer::Start();
      if (!server.ok()) {
        std::cerr << "bench_all: error: the redis_* variants need a redis-server: "
                  << server.status().message()
                  << " (pass --redis=host:port, or leave them out with --variants)\n";
        return 2;
      }
      own_redis = std::move(*server);
      redis = own_redis->address();
      std::cerr << "bench_all: started redis-server on " << redis << " for this run\n";
    } else {
      auto ep = ParseRedisEndpoint(redis);
      RedisClient probe(*ep, {});
      if (auto s = probe.Connect(); !s.ok()) {
        std::cerr << "bench_all: error: --redis=" << redis << ": " << s.message() << "\n";
        return 2;
      }
    }
    SetDefaultRedisAddress(redis);
    auto ep = ParseRedisEndpoint(redis);
    auto version = RedisServerVersion(*ep);
    nlohmann::json mirrors = nlohmann::json::object();
    ForEachVariant<SteadyClock>([&]<class V>() {
      if constexpr (StoreBacked<V>()) {
        if (std::find(c.variants.begin(), c.variants.end(), std::string(V::kName)) !=
            c.variants.end()) {
          mirrors[std::string(V::kName)] = std::string(V::kMirrors);
        }
      }
    });
    redis_json = {{"address", redis},
                  {"variants", mirrors},
                  {"started_by_bench_all", own_redis != nullptr},
                  {"version", version.ok() ? nlohmann::json(*version) : nlohmann::json(nullptr)}};
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
        {"quick", c.quick},
        {"redis", redis.empty() ? nlohmann::json(nullptr) : nlohmann::json(redis)},
        {"processes", c.processes}}},
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
  machine["redis"] = redis_json;
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
    PointSpec spec;
    spec.experiment = p.experiment;
    spec.regime = p.regime;
    spec.load = p.load;
    spec.threads = p.threads;
    spec.repetition = p.repetition;
    spec.cpu_count = static_cast<int>(c.cpus.size());
    TeamConfig cfg = base;
    cfg.duration_ns = p.experiment == "scaling" ? c.duration_ns : c.accuracy_duration_ns;
    int processes = 1;
    WithVariant(p.variant, [&]<class V>() {
      const auto parts = SplitThreads(p.threads, c.processes);
      if (StoreBacked<V>() && parts.size() > 1) {
        processes = static_cast<int>(parts.size());
        outcome = RunPointInWorkers(p.variant, spec, cfg, parts, redis);
      } else {
        outcome = RunPointHere<V>(spec, cfg);
      }
    });
    std::string what =
        p.experiment == "scaling"
            ? absl::StrCat("scaling ", p.variant, " ", p.regime, " threads=",
                           p.threads, processes > 1 ? absl::StrCat(" in ", processes, " processes") : "",
                           p.threads > static_cast<int>(c.cpus.size()) ? " (oversubscribed)" : "")
            : absl::StrCat("accuracy ", p.variant, " ", p.load.pattern,
                           p.load.offered_ratio
                               ? absl::StrCat(" x", *p.load.offered_ratio)
                               : "",
                           " threads=", p.threads,
                           processes > 1 ? absl::StrCat(" in ", processes, " processes") : "");
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
  if (const std::string w = absl::GetFlag(FLAGS_worker); !w.empty()) {
    struct sigaction wa;
    memset(&wa, 0, sizeof wa);
    wa.sa_handler = ratelab::OnSignal;
    sigaction(SIGINT, &wa, nullptr);
    sigaction(SIGTERM, &wa, nullptr);
    return ratelab::RunWorker(w);
  }
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
