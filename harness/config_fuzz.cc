// libFuzzer target for bench_all's input parsing: the CPU-list grammar and
// the whole flag check (ParseConfig) on byte-decoded flag values. Every input
// must be accepted or refused with a message naming the flag; nothing may
// crash, hang or leak.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzzer/FuzzedDataProvider.h"
#include "harness/config.h"
#include "harness/machine.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  if (in.ConsumeBool()) {
    const std::string text = in.ConsumeRemainingBytesAsString();
    auto cpus = ratelab::ParseCpuList(text);
    if (cpus.ok()) {
      for (int c : *cpus) {
        if (c < 0 || c > ratelab::kMaxCpuNumber) abort();
      }
    } else if (cpus.status().message().empty()) {
      abort();
    }
    return 0;
  }
  ratelab::RawFlags raw;
  raw.variants = in.ConsumeRandomLengthString(64);
  raw.threads = in.ConsumeRandomLengthString(32);
  raw.experiments = in.ConsumeRandomLengthString(32);
  raw.events = in.ConsumeRandomLengthString(48);
  raw.cpus = in.ConsumeRandomLengthString(32);
  raw.duration_s = in.ConsumeFloatingPoint<double>();
  raw.accuracy_duration_s = in.ConsumeFloatingPoint<double>();
  raw.warmup_s = in.ConsumeFloatingPoint<double>();
  raw.repetitions = in.ConsumeIntegral<int>();
  raw.tick_us = in.ConsumeIntegral<int>();
  raw.percall_min_time_s = in.ConsumeFloatingPoint<double>();
  // Only paths below a regular file: the check inspects, never creates, and
  // nothing below /proc/version can be a folder, so every input is refused.
  raw.out = "/proc/version/" + in.ConsumeRemainingBytesAsString();
  auto config = ratelab::ParseConfig(raw);
  if (config.ok()) abort();
  const std::string msg(config.status().message());
  if (msg.rfind("--", 0) != 0) abort();  // every refusal names its flag
  return 0;
}
