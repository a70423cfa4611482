// The per-call experiment: what one try_acquire costs on one thread with no
// contention, next to the primitives the variants are built from (clock reads,
// CPU-id lookups). Measured with Google Benchmark, whose JSON is written to
// percall.json unchanged (RESULTS.md).
//
// Benchmarks, in this order:
//   BM_Admit/<variant>   limits so generous that every call is admitted
//                        (counter admitted_frac shows it: 1 when so);
//   BM_Reject/<variant>  limit 1 per 1000 s, drained first, so every call is
//                        refused (admitted_frac 0 when so): the fast "no" path.
//                        null cannot refuse; its BM_Reject times the same
//                        admitting loop (admitted_frac 1) as the floor;
//   BM_Primitive/steady_clock, coarse_clock, sched_getcpu, rseq_cpu_id.
// A variant with kNeedsTick has tick(now) called every 1024 iterations inside
// the timed loop, as the harness's ticker would, so its per-call time
// includes that background work amortized over 1024 calls. A variant that
// cannot be created here (percpu_rseq without rseq) is reported as a skipped
// benchmark with the reason (error_occurred, error_message in the JSON), as
// is rseq_cpu_id without rseq.
#ifndef RATELAB_HARNESS_PERCALL_H_
#define RATELAB_HARNESS_PERCALL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ratelab {

// Runs the benchmarks above for the variants named in `variant_names` (names
// not in the registry are ignored: no benchmark for them) plus the four
// primitives, each for at least `min_time_s` seconds (Google Benchmark's
// --benchmark_min_time), and returns Google Benchmark's JSON output. Nothing
// is printed to stdout; Google Benchmark's own errors go to stderr.
// InvalidArgument if min_time_s is not a positive finite number. Not
// thread-safe (Google Benchmark's registry and flags are global); it may be
// called again in the same process: it clears Google Benchmark's registry
// before and after, so benchmarks registered elsewhere in the program are
// dropped and do not run.
absl::StatusOr<std::string> RunPercall(const std::vector<std::string>& variant_names,
                                       double min_time_s);

}  // namespace ratelab

#endif  // RATELAB_HARNESS_PERCALL_H_
