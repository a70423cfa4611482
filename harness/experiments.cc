#include "harness/experiments.h"

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

}  // namespace ratelab
