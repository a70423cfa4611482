// libFuzzer target: byte-decoded sequences of (create with these limits,
// advance time, try_acquire n, tick) against every variant. Creation must
// either succeed or fail with a message; a created variant must decide exactly
// as its reference model (reference_model.h) and never break its promise.
// Built with -fsanitize=fuzzer,address,undefined, so overflow in the
// arithmetic is a crash too.
#include <pthread.h>
#include <sched.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "fuzzer/FuzzedDataProvider.h"
#include "variants/reference_model.h"
#include "variants/registry.h"

namespace ratelab {
namespace {

// Limits: mostly small and meaningful, sometimes at the edges (zero,
// negative, huge) to exercise the refusals and the overflow checks.
Limits FuzzLimits(FuzzedDataProvider& in) {
  Limits l;
  switch (in.ConsumeIntegralInRange<int>(0, 7)) {
    case 0:
      l.limit = in.ConsumeIntegral<uint64_t>();
      l.window_ns = in.ConsumeIntegral<int64_t>();
      l.burst = in.ConsumeIntegral<uint64_t>();
      break;
    default:
      l.limit = in.ConsumeIntegralInRange<uint64_t>(1, 2000);
      l.window_ns = in.ConsumeIntegralInRange<int64_t>(1, 2'000'000'000);
      l.burst = in.ConsumeIntegralInRange<uint64_t>(1, 3000);
  }
  return l;
}

template <class V>
void Drive(FuzzedDataProvider& in) {
  const Limits l = FuzzLimits(in);
  Options o;
  o.max_threads = in.ConsumeIntegralInRange<int>(0, 5);
  if (in.ConsumeBool()) o.shard_quota = in.ConsumeIntegralInRange<uint64_t>(0, 5000);
  const int64_t start = in.ConsumeIntegralInRange<int64_t>(-(int64_t{1} << 50),
                                                           int64_t{1} << 50);
  ManualClock clock(start);
  auto made = V::Create(l, o, clock);
  if (!made.ok()) {
    if (made.status().message().empty()) abort();  // a refusal must say why
    return;
  }
  V& v = **made;
  auto h = v.MakeHandle(0);
  auto model = ModelFor(v, l, clock.Now());
  PromiseChecker checker(v.promise());
  v.tick(clock.Now());
  if (model) model->Tick(clock.Now());
  constexpr int64_t kMaxTime = int64_t{1} << 60;
  while (in.remaining_bytes() > 0) {
    switch (in.ConsumeIntegralInRange<int>(0, 3)) {
      case 0: {  // advance, small or (rarely) by hours
        const int64_t dt = in.ConsumeBool()
                               ? in.ConsumeIntegralInRange<int64_t>(0, 3'000'000)
                               : in.ConsumeIntegralInRange<int64_t>(0, int64_t{1} << 44);
        if (clock.Now() < kMaxTime - dt) clock.Advance(dt);
        break;
      }
      case 1:
      case 2: {
        const uint64_t n = in.ConsumeBool() ? 1 : in.ConsumeIntegral<uint64_t>() % 4096;
        const bool got = v.try_acquire(h, n);
        if (model && got != model->Acquire(clock.Now(), n)) {
          fprintf(stderr, "%s disagrees with its model at t=%lld n=%llu\n",
                  std::string(V::kName).c_str(), static_cast<long long>(clock.Now()),
                  static_cast<unsigned long long>(n));
          abort();
        }
        if (got && !checker.Admit(clock.Now(), n)) {
          fprintf(stderr, "%s broke its promise at t=%lld\n",
                  std::string(V::kName).c_str(), static_cast<long long>(clock.Now()));
          abort();
        }
        break;
      }
      case 3:
        v.tick(clock.Now());
        if (model) model->Tick(clock.Now());
        break;
    }
  }
}

}  // namespace
}  // namespace ratelab

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // One CPU, so the per-CPU variants see one slot and their model applies.
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu(), &one);
  pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  // The eleven in-process variants. The store-backed ones (redis_*, last in
  // the registry) are left out: a round trip per step would slow libFuzzer
  // a thousandfold; the contract tests walk them against the model instead.
  const int pick = in.ConsumeIntegralInRange<int>(0, 10);
  int i = 0;
  ratelab::ForEachVariant<ratelab::ManualClock>([&]<class V>() {
    if (i++ == pick) ratelab::Drive<V>(in);
  });
  return 0;
}
