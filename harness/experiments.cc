#include "harness/experiments.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace ratelab {
namespace {

nlohmann::json OptionalJson(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json LimitsJson(const Limits& l) {
  return {{"limit", l.limit}, {"window_ns", l.window_ns}, {"burst", l.burst}};
}

nlohmann::json PromiseJson(const Promise& p, uint64_t max_in_window) {
  return {{"kind", std::string(p.KindName())},
          {"exact", p.exact},
          {"burst", p.burst},
          {"interval_ns", p.interval_ns},
          {"slack", p.slack},
          {"max_in_window", max_in_window == Promise::kNoBound
                                ? nlohmann::json(nullptr)
                                : nlohmann::json(max_in_window)},
          {"note", p.bound_note}};
}

nlohmann::json ThreadsJson(const TeamResult& r) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& t : r.threads) {
    a.push_back({{"thread", t.thread},
                 {"process", t.process},
                 {"store_refusals", t.store_refusals},
                 {"cpu_requested", t.cpu_requested ? nlohmann::json(*t.cpu_requested)
                                                   : nlohmann::json(nullptr)},
                 {"cpus_seen", t.cpus_seen},
                 {"attempts", t.attempts},
                 {"admitted", t.admitted}});
  }
  return a;
}

nlohmann::json CountersJson(const TeamResult& r, uint64_t attempts) {
  std::vector<std::vector<CounterValue>> per;
  for (const auto& t : r.threads) {
    if (!t.counters.empty()) per.push_back(t.counters);
  }
  nlohmann::json a = nlohmann::json::array();
  if (per.empty()) return a;
  auto sum = SumCounters(per);
  if (!sum.ok()) return a;
  for (const CounterValue& c : *sum) {
    nlohmann::json e = {{"event", c.event},
                        {"value", OptionalJson(c.value)},
                        {"per_op", nullptr},
                        {"time_enabled_ns", c.time_enabled_ns},
                        {"time_running_ns", c.time_running_ns},
                        {"multiplexed", c.multiplexed},
                        {"reason", c.reason.empty() ? nlohmann::json(nullptr)
                                                    : nlohmann::json(c.reason)}};
    if (c.value && attempts > 0) e["per_op"] = *c.value / static_cast<double>(attempts);
    a.push_back(std::move(e));
  }
  return a;
}

nlohmann::json MetricsJson(const AccuracyMetrics& m) {
  return {{"overshoot_vs_limit", m.overshoot_vs_limit},
          {"overshoot_vs_promise", OptionalJson(m.overshoot_vs_promise)},
          {"rate_error", OptionalJson(m.rate_error)},
          {"false_rejections", OptionalJson(m.false_rejections)},
          {"promise_violations", m.promise_violations},
          {"jain", m.jain},
          {"min_max_ratio", m.min_max_ratio}};
}

std::vector<ProcessPart> SplitThreads(int threads, int processes) {
  const int n = std::max(1, std::min(threads, processes));
  std::vector<ProcessPart> parts;
  int first = 0;
  for (int i = 0; i < n; ++i) {
    const int mine = threads / n + (i < threads % n ? 1 : 0);
    parts.push_back({i, mine, first});
    first += mine;
  }
  return parts;
}

Limits PointLimits(const PointSpec& spec) {
  if (spec.experiment == "accuracy") return AccuracyLimits();
  return spec.regime == "admit" ? AdmitRegimeLimits() : RejectRegimeLimits();
}

int64_t PointBinNs(const PointSpec& spec) {
  return spec.experiment == "accuracy" ? AccuracyLimits().window_ns / 100 : 0;
}

TeamResult MergeParts(std::vector<TeamResult> parts) {
  TeamResult out;
  for (TeamResult& p : parts) {
    out.duration_ns = std::max(out.duration_ns, p.duration_ns);
    out.interrupted = out.interrupted || p.interrupted;
    out.ticks += p.ticks;
    for (ThreadResult& t : p.threads) out.threads.push_back(std::move(t));
  }
  std::sort(out.threads.begin(), out.threads.end(),
            [](const ThreadResult& a, const ThreadResult& b) { return a.thread < b.thread; });
  return out;
}

PointOutcome MakeRecord(std::string_view variant, const PointSpec& spec,
                        int processes, const TeamResult& r, const Promise& promise) {
  const Limits limits = PointLimits(spec);
  PointOutcome out;
  out.interrupted = r.interrupted;
  const uint64_t attempts = SumAttempts(r);
  uint64_t store_refusals = 0;
  for (const auto& t : r.threads) store_refusals += t.store_refusals;
  out.attempts_per_s = attempts / (r.duration_ns / 1e9);
  if (spec.experiment == "scaling") {
    out.record = {
        {"variant", std::string(variant)},
        {"regime", spec.regime},
        {"threads", spec.threads},
        {"processes", processes},
        {"oversubscribed", spec.threads > spec.cpu_count},
        {"repetition", spec.repetition},
        {"limits", LimitsJson(limits)},
        {"duration_ns", r.duration_ns},
        {"ticks", r.ticks},
        {"attempts", attempts},
        {"admitted", SumAdmitted(r)},
        {"store_refusals", store_refusals},
        {"per_thread", ThreadsJson(r)},
        {"counters", CountersJson(r, attempts)},
    };
    return out;
  }
  AccuracyInput in;
  in.bin_ns = PointBinNs(spec);
  in.limits = limits;
  in.promise = promise;
  in.elapsed_ns = r.duration_ns;
  in.attempts = attempts;
  in.admitted = SumAdmitted(r);
  in.rejected = in.attempts - in.admitted;
  in.offered_ratio = spec.load.offered_ratio;
  // Merge the bins; only those inside the measured interval count.
  const size_t nbins =
      static_cast<size_t>((r.duration_ns + in.bin_ns - 1) / in.bin_ns);
  in.bins.assign(nbins, 0);
  for (const auto& t : r.threads) {
    in.per_thread_admitted.push_back(t.admitted);
    for (size_t i = 0; i < t.bins.size(); ++i) {
      in.bins[std::min(i, nbins - 1)] += t.bins[i];
    }
  }
  const AccuracyMetrics m = ComputeAccuracy(in);
  out.record = {
      {"variant", std::string(variant)},
      {"pattern", spec.load.pattern},
      {"offered_ratio", OptionalJson(spec.load.offered_ratio)},
      {"threads", spec.threads},
      {"processes", processes},
      {"repetition", spec.repetition},
      {"limits", LimitsJson(limits)},
      {"bin_ns", in.bin_ns},
      {"elapsed_ns", r.duration_ns},
      {"attempts", in.attempts},
      {"admitted", in.admitted},
      {"rejected", in.rejected},
      {"store_refusals", store_refusals},
      {"bins", in.bins},
      {"per_thread_admitted", in.per_thread_admitted},
      {"promise", PromiseJson(in.promise, m.max_in_window)},
      {"metrics", MetricsJson(m)},
  };
  return out;
}

nlohmann::json PartResultJson(const PartResult& r) {
  nlohmann::json threads = nlohmann::json::array();
  for (const ThreadResult& t : r.team.threads) {
    nlohmann::json counters = nlohmann::json::array();
    for (const CounterValue& c : t.counters) {
      counters.push_back({{"event", c.event},
                          {"value", OptionalJson(c.value)},
                          {"raw", c.raw},
                          {"time_enabled_ns", c.time_enabled_ns},
                          {"time_running_ns", c.time_running_ns},
                          {"multiplexed", c.multiplexed},
                          {"reason", c.reason}});
    }
    threads.push_back({{"thread", t.thread},
                       {"process", t.process},
                       {"cpu_requested", t.cpu_requested ? nlohmann::json(*t.cpu_requested)
                                                         : nlohmann::json(nullptr)},
                       {"cpus_seen", t.cpus_seen},
                       {"attempts", t.attempts},
                       {"admitted", t.admitted},
                       {"store_refusals", t.store_refusals},
                       {"bins", t.bins},
                       {"counters", counters}});
  }
  const Promise& p = r.promise;
  return {{"duration_ns", r.team.duration_ns},
          {"interrupted", r.team.interrupted},
          {"ticks", r.team.ticks},
          {"threads", threads},
          {"promise",
           {{"kind", static_cast<int>(p.kind)},
            {"exact", p.exact},
            {"burst", p.burst},
            {"interval_ns", p.interval_ns},
            {"slack", p.slack},
            {"note", p.bound_note}}}};
}

absl::StatusOr<PartResult> PartResultFromJson(const nlohmann::json& j) {
  try {
    PartResult r;
    r.team.duration_ns = j.at("duration_ns").get<int64_t>();
    r.team.interrupted = j.at("interrupted").get<bool>();
    r.team.ticks = j.at("ticks").get<uint64_t>();
    for (const auto& t : j.at("threads")) {
      ThreadResult x;
      x.thread = t.at("thread").get<int>();
      x.process = t.at("process").get<int>();
      if (!t.at("cpu_requested").is_null()) x.cpu_requested = t.at("cpu_requested").get<int>();
      x.cpus_seen = t.at("cpus_seen").get<std::vector<int>>();
      x.attempts = t.at("attempts").get<uint64_t>();
      x.admitted = t.at("admitted").get<uint64_t>();
      x.store_refusals = t.at("store_refusals").get<uint64_t>();
      x.bins = t.at("bins").get<std::vector<uint64_t>>();
      for (const auto& c : t.at("counters")) {
        CounterValue v;
        v.event = c.at("event").get<std::string>();
        if (!c.at("value").is_null()) v.value = c.at("value").get<double>();
        v.raw = c.at("raw").get<uint64_t>();
        v.time_enabled_ns = c.at("time_enabled_ns").get<uint64_t>();
        v.time_running_ns = c.at("time_running_ns").get<uint64_t>();
        v.multiplexed = c.at("multiplexed").get<bool>();
        v.reason = c.at("reason").get<std::string>();
        x.counters.push_back(std::move(v));
      }
      r.team.threads.push_back(std::move(x));
    }
    const auto& p = j.at("promise");
    const int kind = p.at("kind").get<int>();
    if (kind < 0 || kind > static_cast<int>(Promise::Kind::kFixedWindow)) {
      return absl::InvalidArgumentError(absl::StrCat("promise kind ", kind));
    }
    r.promise.kind = static_cast<Promise::Kind>(kind);
    r.promise.exact = p.at("exact").get<bool>();
    r.promise.burst = p.at("burst").get<uint64_t>();
    r.promise.interval_ns = p.at("interval_ns").get<int64_t>();
    r.promise.slack = p.at("slack").get<uint64_t>();
    r.promise.bound_note = p.at("note").get<std::string>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("worker result: ", e.what()));
  }
}

}  // namespace ratelab
