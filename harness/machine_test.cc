#include "harness/machine.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "variants/percpu.h"

namespace ratelab {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;

TEST(ParseCpuListTest, AcceptsTheKernelFormat) {
  EXPECT_THAT(*ParseCpuList("0"), ElementsAre(0));
  EXPECT_THAT(*ParseCpuList("0-3,8"), ElementsAre(0, 1, 2, 3, 8));
  EXPECT_THAT(*ParseCpuList("0-3,8-9\n"), ElementsAre(0, 1, 2, 3, 8, 9));
  EXPECT_THAT(*ParseCpuList(" 2 , 4 - 5 ,\t7\n"), ElementsAre(2, 4, 5, 7));
  EXPECT_THAT(*ParseCpuList("5-5"), ElementsAre(5));
}

TEST(ParseCpuListTest, KeepsTheOrderWritten) {
  EXPECT_THAT(*ParseCpuList("8,0-1"), ElementsAre(8, 0, 1));
}

TEST(ParseCpuListTest, AcceptsTheLargestCpuNumber) {
  const std::string max = std::to_string(kMaxCpuNumber);
  EXPECT_THAT(*ParseCpuList(max), ElementsAre(kMaxCpuNumber));
}

// Each bad input must fail with InvalidArgument, quote the whole list, and
// say what is wrong with the part that is.
struct BadCase {
  std::string text;
  std::string quoted;  // how the list appears in the message
  std::string why;
};

TEST(ParseCpuListTest, RejectsBadLists) {
  const std::vector<BadCase> cases = {
      {"", "\"\"", "is empty"},
      {" \n", "\" \\n\"", "is empty"},
      {"0,,2", "\"0,,2\"", "empty item"},
      {"0,", "\"0,\"", "empty item"},
      {",1", "\",1\"", "empty item"},
      {"3-1", "\"3-1\"", "range \"3-1\" is descending"},
      {"-1", "\"-1\"", "\"-1\": CPU numbers cannot be negative"},
      {"0--2", "\"0--2\"", "\"0--2\": CPU numbers cannot be negative"},
      {"0-3,x", "\"0-3,x\"", "\"x\" is not a CPU number"},
      {"1x", "\"1x\"", "\"1x\" is not a CPU number"},
      {"+3", "\"+3\"", "\"+3\" is not a CPU number"},
      {"1 2", "\"1 2\"", "\"1 2\" is not a CPU number"},
      {"0-2-4", "\"0-2-4\"", "\"2-4\" is not a CPU number"},
      {"0-", "\"0-\"", "item \"0-\" is missing a CPU number"},
      {"99999999999999999999", "\"99999999999999999999\"",
       "is above the largest accepted"},
      {"0-65536", "\"0-65536\"", "is above the largest accepted"},
      {"0-3,2", "\"0-3,2\"", "CPU 2 is listed twice"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<std::vector<int>> got = ParseCpuList(c.text);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(got.status().message(), HasSubstr("CPU list " + c.quoted));
    EXPECT_THAT(got.status().message(), HasSubstr(c.why));
  }
}

TEST(OnlineCpusTest, MatchesSysconf) {
  const std::vector<int> cpus = OnlineCpus();
  EXPECT_EQ(static_cast<long>(cpus.size()), sysconf(_SC_NPROCESSORS_ONLN));
}

// Every key of RESULTS.md's machine.json (less schema_version), with the JSON
// types scripts/results.py accepts.
TEST(DescribeMachineTest, HasEverySchemaKeyWithItsType) {
  const json m = DescribeMachine({"context-switches", "cycles"});
  ASSERT_TRUE(m.is_object());
  EXPECT_FALSE(m.contains("schema_version"));

  auto string_or_null = [&](const char* key) {
    SCOPED_TRACE(key);
    ASSERT_TRUE(m.contains(key));
    EXPECT_TRUE(m[key].is_string() || m[key].is_null()) << m[key];
  };
  auto bool_or_null = [&](const char* key) {
    SCOPED_TRACE(key);
    ASSERT_TRUE(m.contains(key));
    EXPECT_TRUE(m[key].is_boolean() || m[key].is_null()) << m[key];
  };

  ASSERT_TRUE(m.contains("hostname"));
  EXPECT_TRUE(m["hostname"].is_string());
  for (const char* key : {"cpu_model", "kernel", "glibc", "compiler", "cxx_flags",
                          "build_type", "git_revision"}) {
    string_or_null(key);
  }
  for (const char* key : {"git_dirty", "virtualized", "rseq_registered"}) {
    bool_or_null(key);
  }
  // These are known on any Linux box this builds on.
  EXPECT_TRUE(m["kernel"].is_string());
  EXPECT_TRUE(m["glibc"].is_string());
  EXPECT_TRUE(m["compiler"].is_string());
  EXPECT_TRUE(m["build_type"].is_string());
  EXPECT_TRUE(m["cxx_flags"].is_string());
  EXPECT_EQ(m["rseq_registered"], RseqStatus().ok());

  ASSERT_TRUE(m.contains("online_cpus"));
  ASSERT_TRUE(m["online_cpus"].is_array());
  ASSERT_FALSE(m["online_cpus"].empty());
  for (const json& cpu : m["online_cpus"]) {
    EXPECT_TRUE(cpu.is_number_integer() && cpu.get<int>() >= 0) << cpu;
  }
  EXPECT_EQ(m["online_cpus"].size(),
            static_cast<size_t>(sysconf(_SC_NPROCESSORS_ONLN)));

  ASSERT_TRUE(m.contains("topology"));
  ASSERT_TRUE(m["topology"].is_array());
  ASSERT_EQ(m["topology"].size(), m["online_cpus"].size());
  for (size_t i = 0; i < m["topology"].size(); ++i) {
    const json& t = m["topology"][i];
    ASSERT_TRUE(t.is_object()) << t;
    EXPECT_EQ(t["cpu"], m["online_cpus"][i]);
    for (const char* key : {"core_id", "package_id"}) {
      ASSERT_TRUE(t.contains(key)) << t;
      EXPECT_TRUE(t[key].is_number_integer() || t[key].is_null()) << t;
    }
  }

  ASSERT_TRUE(m.contains("libraries"));
  ASSERT_TRUE(m["libraries"].is_object());
  for (const char* lib : {"abseil", "benchmark", "libpfm4"}) {
    ASSERT_TRUE(m["libraries"].contains(lib)) << lib;
    EXPECT_TRUE(m["libraries"][lib].is_string() || m["libraries"][lib].is_null());
  }
  // Compiled in from Abseil's own header, so always known.
  EXPECT_TRUE(m["libraries"]["abseil"].is_string());
  // A version, when known, is dotted numbers ("4.13.0"), not a Debian
  // revision or a whole file name.
  for (const char* lib : {"benchmark", "libpfm4"}) {
    const json& v = m["libraries"][lib];
    if (v.is_string()) {
      EXPECT_THAT(v.get<std::string>(), ::testing::MatchesRegex("[0-9]+(\\.[0-9]+)+"))
          << lib;
    }
  }

  ASSERT_TRUE(m.contains("perf_event_paranoid"));
  EXPECT_TRUE(m["perf_event_paranoid"].is_number_integer() ||
              m["perf_event_paranoid"].is_null());

  ASSERT_TRUE(m.contains("counters"));
  ASSERT_TRUE(m["counters"].is_object());
  EXPECT_EQ(m["counters"].size(), 2u);
  for (const auto& [event, c] : m["counters"].items()) {
    SCOPED_TRACE(event);
    ASSERT_TRUE(c["available"].is_boolean());
    // null exactly when available, as RESULTS.md writes it.
    if (c["available"].get<bool>()) {
      EXPECT_TRUE(c["reason"].is_null());
    } else {
      ASSERT_TRUE(c["reason"].is_string());
      EXPECT_FALSE(c["reason"].get<std::string>().empty());
    }
  }
}

TEST(DescribeMachineTest, ProbesCounters) {
  const json m = DescribeMachine({"context-switches", "cycles"});
  // A software event: countable on any kernel with perf_event_open allowed
  // at the default paranoia for one's own threads.
  EXPECT_EQ(m["counters"]["context-switches"]["available"], true)
      << m["counters"]["context-switches"];
  // Hardware: available, or refused with a reason (VMs without a PMU).
  const json& cycles = m["counters"]["cycles"];
  EXPECT_TRUE(cycles["available"].get<bool>() ||
              !cycles["reason"].get<std::string>().empty())
      << cycles;
}

TEST(DescribeMachineTest, NoEventsGivesEmptyCounters) {
  const json m = DescribeMachine({});
  ASSERT_TRUE(m["counters"].is_object());
  EXPECT_TRUE(m["counters"].empty());
}

}  // namespace
}  // namespace ratelab
