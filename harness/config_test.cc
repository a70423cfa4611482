// bench_all's flag checks: each bad value is refused with a message naming
// the flag and the value.
#include "harness/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"
#include "harness/machine.h"

namespace ratelab {
namespace {

std::string Tmp() {
  return testing::TempDir();
}

RawFlags Good() {
  RawFlags r;
  r.out = Tmp() + "/ratelab_config_test_out";
  return r;
}

void ExpectBad(RawFlags r, const std::string& needle) {
  auto c = ParseConfig(r);
  ASSERT_FALSE(c.ok()) << "accepted: " << needle;
  EXPECT_NE(c.status().message().find(needle), std::string::npos)
      << c.status().message();
}

TEST(ConfigTest, DefaultsAreValid) {
  auto c = ParseConfig(Good());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->variants.size(), 13u);
  EXPECT_EQ(c->threads.front(), 1);
  EXPECT_EQ(c->threads.back(), 2 * c->online_cpus);
  EXPECT_EQ(c->experiments.size(), 3u);
  EXPECT_EQ(c->cpus, OnlineCpus());
}

TEST(ConfigTest, VariantsByNameOrRegex) {
  RawFlags r = Good();
  r.variants = "token_bucket,null";
  auto c = ParseConfig(r);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->variants, (std::vector<std::string>{"null", "token_bucket"}));
  r.variants = "sharded_.*";
  c = ParseConfig(r);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->variants.size(), 3u);
}

TEST(ConfigTest, BadValuesNameTheFlagAndTheValue) {
  // Each case edits a fresh Good() config.
  auto bad = [](void (*edit)(RawFlags&), const char* needle) {
    RawFlags r = Good();
    edit(r);
    ExpectBad(r, needle);
  };
  bad([](RawFlags& r) { r.variants = "no_such_limiter"; }, "--variants=no_such_limiter");
  bad([](RawFlags& r) { r.variants = "(["; }, "--variants=([");
  bad([](RawFlags& r) { r.experiments = "scaling,speed"; }, "unknown experiment 'speed'");
  // std::string("0"): assigning a one-character literal trips a false
  // -Wrestrict in GCC 12's inlined std::string code (GCC bug 105329).
  bad([](RawFlags& r) { r.threads = std::string("0"); }, "--threads=0");
  bad([](RawFlags& r) { r.threads = "1,4097"; }, "thread count 4097");
  bad([](RawFlags& r) { r.threads = "two"; }, "'two' is not a number");
  bad([](RawFlags& r) { r.duration_s = 0; }, "--duration=0");
  bad([](RawFlags& r) { r.duration_s = -1; }, "--duration=-1");
  bad([](RawFlags& r) { r.repetitions = -2; }, "--repetitions=-2");
  bad([](RawFlags& r) { r.cpus = "0-"; }, "--cpus=0-");
  bad([](RawFlags& r) { r.cpus = "3-1"; }, "--cpus=3-1");
  bad([](RawFlags& r) { r.cpus = "4000"; }, "CPU 4000 is not online");
  bad([](RawFlags& r) { r.events = "no-such-event-xyz"; }, "no-such-event-xyz");
  bad([](RawFlags& r) { r.tick_us = 0; }, "--tick_us=0");
  bad([](RawFlags& r) { r.processes = 0; }, "--processes=0");
  bad([](RawFlags& r) { r.processes = 65; }, "--processes=65");
  bad([](RawFlags& r) { r.redis = "no-port"; }, "--redis=no-port");
  bad([](RawFlags& r) { r.redis = "h:0"; }, "port '0'");
}

// Patterns the fuzzer found hard on std::regex: refused or matched at once.
TEST(ConfigTest, HostilePatternsAreRefusedQuickly) {
  RawFlags r = Good();
  r.variants = "0****************************";
  ExpectBad(r, "--variants=0***");
  r.variants = "(a*)*(a*)*(a*)*b";
  ExpectBad(r, "matches no variant");
  r.variants = "a{8888888888888888888}";
  ExpectBad(r, "--variants=a{");
  r.variants = std::string(300, 'x');
  ExpectBad(r, "longer than 200");
}

TEST(ConfigTest, KnownButUnavailableEventIsAccepted) {
  RawFlags r = Good();
  r.events = "cycles,context-switches";
  auto c = ParseConfig(r);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->events.size(), 2u);
}

TEST(ConfigTest, OutputMustBeWritable) {
  RawFlags r = Good();
  const std::string file = Tmp() + "/ratelab_config_test_file";
  FILE* f = fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fclose(f);
  r.out = file;
  ExpectBad(r, "is not a directory");
  r.out = file + "/below";
  ExpectBad(r, "is not a directory");
  if (geteuid() != 0) {  // root writes anywhere
    const std::string ro = Tmp() + "/ratelab_config_test_ro";
    std::filesystem::create_directories(ro);
    chmod(ro.c_str(), 0555);
    r.out = ro + "/x";
    ExpectBad(r, "is not writable");
  }
  // Nothing was created by the checks.
  EXPECT_FALSE(std::filesystem::exists(Good().out));
}

}  // namespace
}  // namespace ratelab
