#include "harness/percall.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "variants/percpu.h"
#include "variants/registry.h"

namespace ratelab {
namespace {

using json = nlohmann::json;

// Benchmarks by name, after checking the top-level shape.
std::map<std::string, json> ByName(const std::string& text) {
  const json doc = json::parse(text);  // throws (fails the test) if not JSON
  EXPECT_TRUE(doc.contains("context"));
  EXPECT_TRUE(doc["context"].is_object());
  EXPECT_TRUE(doc.contains("benchmarks"));
  std::map<std::string, json> out;
  for (const json& b : doc["benchmarks"]) out[b["name"].get<std::string>()] = b;
  return out;
}

void ExpectMeasured(const std::map<std::string, json>& runs, const std::string& name) {
  SCOPED_TRACE(name);
  auto it = runs.find(name);
  ASSERT_NE(it, runs.end());
  const json& b = it->second;
  ASSERT_TRUE(b.contains("real_time")) << b;
  EXPECT_GT(b["real_time"].get<double>(), 0) << b;
  ASSERT_TRUE(b.contains("time_unit")) << b;
  EXPECT_TRUE(b["time_unit"].is_string()) << b;
  EXPECT_FALSE(b.value("error_occurred", false)) << b;
}

TEST(PercallTest, RunsVariantsAndPrimitives) {
  absl::StatusOr<std::string> out = RunPercall({"null", "token_bucket"}, 0.01);
  ASSERT_TRUE(out.ok()) << out.status();
  const std::map<std::string, json> runs = ByName(*out);

  for (const char* name :
       {"BM_Admit/null", "BM_Admit/token_bucket", "BM_Reject/null",
        "BM_Reject/token_bucket", "BM_Primitive/steady_clock",
        "BM_Primitive/coarse_clock", "BM_Primitive/sched_getcpu"}) {
    ExpectMeasured(runs, name);
  }
  // Only measured where rseq is registered; otherwise skipped with a reason.
  ASSERT_TRUE(runs.contains("BM_Primitive/rseq_cpu_id"));
  if (RseqStatus().ok()) {
    ExpectMeasured(runs, "BM_Primitive/rseq_cpu_id");
  } else {
    EXPECT_TRUE(runs.at("BM_Primitive/rseq_cpu_id")["error_occurred"].get<bool>());
  }

  // The regimes held: admit runs admitted everything, reject runs nothing,
  // except null, which admits every valid request and is timed anyway.
  EXPECT_EQ(runs.at("BM_Admit/null")["admitted_frac"].get<double>(), 1.0);
  EXPECT_EQ(runs.at("BM_Admit/token_bucket")["admitted_frac"].get<double>(), 1.0);
  EXPECT_EQ(runs.at("BM_Reject/token_bucket")["admitted_frac"].get<double>(), 0.0);
  EXPECT_EQ(runs.at("BM_Reject/null")["admitted_frac"].get<double>(), 1.0);

  // Only what was asked for.
  for (const auto& [name, b] : runs) {
    EXPECT_TRUE(name.starts_with("BM_Primitive/") || name.ends_with("/null") ||
                name.ends_with("/token_bucket"))
        << name;
  }
}

TEST(PercallTest, UnknownNamesAreIgnored) {
  absl::StatusOr<std::string> out = RunPercall({"no_such_variant", "null"}, 0.01);
  ASSERT_TRUE(out.ok()) << out.status();
  const std::map<std::string, json> runs = ByName(*out);
  EXPECT_FALSE(runs.contains("BM_Admit/no_such_variant"));
  EXPECT_FALSE(runs.contains("BM_Reject/no_such_variant"));
  EXPECT_TRUE(runs.contains("BM_Admit/null"));
  EXPECT_EQ(runs.size(), 6u);  // null's two, the four primitives
}

// Every registered variant can be measured in both regimes, or is skipped
// with a reason; none silently fails its regime.
TEST(PercallTest, EveryVariantHoldsItsRegime) {
  std::vector<std::string> all;
  for (const VariantInfo& v : ListVariants()) all.emplace_back(v.name);
  absl::StatusOr<std::string> out = RunPercall(all, 0.001);
  ASSERT_TRUE(out.ok()) << out.status();
  const std::map<std::string, json> runs = ByName(*out);
  for (const std::string& v : all) {
    for (const std::string regime : {"BM_Admit/", "BM_Reject/"}) {
      const std::string name = regime + v;
      SCOPED_TRACE(name);
      ASSERT_TRUE(runs.contains(name));
      const json& b = runs.at(name);
      if (b.value("error_occurred", false)) {
        // Only a variant that cannot exist here may be skipped.
        EXPECT_EQ(v, "percpu_rseq") << b;
        EXPECT_FALSE(RseqStatus().ok()) << b;
        EXPECT_FALSE(b["error_message"].get<std::string>().empty());
        continue;
      }
      if (regime == "BM_Admit/") {
        EXPECT_EQ(b["admitted_frac"].get<double>(), 1.0) << b;
      } else {
        EXPECT_EQ(b["admitted_frac"].get<double>(), v == "null" ? 1.0 : 0.0) << b;
      }
    }
  }
}

TEST(PercallTest, RejectsBadMinTime) {
  EXPECT_EQ(RunPercall({"null"}, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RunPercall({"null"}, -1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ratelab
