// Results are written whole and read back as written.
#include "harness/results_writer.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "harness/experiments.h"

namespace ratelab {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

fs::path FreshDir(const std::string& name) {
  fs::path p = fs::path(testing::TempDir()) / name;
  fs::remove_all(p);
  return p;
}

TEST(ResultsWriterTest, WritesWholeFilesAndLeavesNoTemporary) {
  const fs::path out = FreshDir("ratelab_writer_whole");
  auto folder = RunFolder::Create(out.string(), "run1");
  ASSERT_TRUE(folder.ok()) << folder.status();
  ASSERT_TRUE(folder->WriteText("a.txt", "first").ok());
  ASSERT_TRUE(folder->WriteText("a.txt", "second, longer").ok());
  EXPECT_EQ(Slurp(folder->path() + "/a.txt"), "second, longer");
  for (const auto& e : fs::directory_iterator(folder->path())) {
    EXPECT_NE(e.path().filename().string()[0], '.') << e.path();
  }
}

TEST(ResultsWriterTest, RefusesToReuseARunFolder) {
  const fs::path out = FreshDir("ratelab_writer_reuse");
  ASSERT_TRUE(RunFolder::Create(out.string(), "same").ok());
  auto again = RunFolder::Create(out.string(), "same");
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("already exists"), std::string::npos);
}

TEST(ResultsWriterTest, ReportsAFolderThatCannotBeWritten) {
  auto s = WriteFileAtomic("/proc/ratelab_no_such_dir/x.json", "{}");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/proc/ratelab_no_such_dir"), std::string::npos);
}

// A record built the way bench_all builds it survives a write and a read.
TEST(ResultsWriterTest, RecordsRoundTrip) {
  const fs::path out = FreshDir("ratelab_writer_roundtrip");
  auto folder = RunFolder::Create(out.string(), "run");
  ASSERT_TRUE(folder.ok());
  Promise p;
  p.kind = Promise::Kind::kTokenBucket;
  p.burst = 7;
  p.interval_ns = 11;
  AccuracyMetrics m;
  m.overshoot_vs_limit = 0.25;
  m.rate_error = -0.5;
  nlohmann::json rec = {{"limits", LimitsJson(Limits{3, 5, 7})},
                        {"promise", PromiseJson(p, 42)},
                        {"metrics", MetricsJson(m)}};
  nlohmann::json doc = {{"records", nlohmann::json::array({rec})}};
  ASSERT_TRUE(folder->WriteJson("x.json", doc).ok());
  const auto back = nlohmann::json::parse(Slurp(folder->path() + "/x.json"));
  EXPECT_EQ(back["schema_version"], kSchemaVersion);
  EXPECT_EQ(back["records"][0], rec);
  EXPECT_EQ(back["records"][0]["promise"]["kind"], "token_bucket");
  EXPECT_EQ(back["records"][0]["promise"]["max_in_window"], 42);
  EXPECT_TRUE(back["records"][0]["metrics"]["false_rejections"].is_null());
  EXPECT_EQ(back["records"][0]["metrics"]["rate_error"], -0.5);
}

TEST(ResultsWriterTest, RunIdIsAFolderName) {
  const std::string id = MakeRunId();
  EXPECT_EQ(id.find('/'), std::string::npos);
  EXPECT_EQ(id.size() > 17, true);
  EXPECT_EQ(id[8], 'T');
}

}  // namespace
}  // namespace ratelab
