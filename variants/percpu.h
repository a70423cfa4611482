// percpu and percpu_rseq: the sharded counter of sharded.h with one slot per
// CPU instead of per thread, the slot chosen on every request by the CPU the
// thread is running on. Threads migrate and several can share a CPU, so the
// slot is updated with an atomic add (see sharded.h for the promise: its slack
// adds T*B for threads that share a slot).
//
// The two differ only in how they learn the CPU:
//  - percpu calls sched_getcpu() (glibc: a vDSO call or, since 2.35, a read of
//    the rseq area when rseq is registered);
//  - percpu_rseq reads the cpu_id field of the thread's rseq area directly,
//    at __rseq_offset from the thread pointer (glibc 2.35+), a single load.
// Where rseq is not registered (old kernel, or GLIBC_TUNABLES=
// glibc.pthread.rseq=0), percpu_rseq refuses to be created and says why.
#ifndef RATELAB_VARIANTS_PERCPU_H_
#define RATELAB_VARIANTS_PERCPU_H_

#include <sched.h>
#include <sys/rseq.h>
#include <unistd.h>

#include <cstddef>

#include "absl/status/status.h"
#include "variants/sharded.h"

namespace ratelab {

// The kernel's view of this thread's CPU, from the rseq area glibc registered;
// negative when rseq is not registered for this thread.
inline int RseqCpuId() noexcept {
  if (__rseq_size == 0) return -1;
  const auto* area = reinterpret_cast<const struct rseq*>(
      static_cast<const char*>(__builtin_thread_pointer()) + __rseq_offset);
  return static_cast<int>(
      static_cast<int32_t>(__atomic_load_n(&area->cpu_id, __ATOMIC_RELAXED)));
}

inline absl::Status RseqStatus() {
  if (__rseq_size == 0) {
    return absl::FailedPreconditionError(
        "rseq is not registered by glibc in this process (__rseq_size == 0: "
        "kernel without rseq, or GLIBC_TUNABLES=glibc.pthread.rseq=0)");
  }
  if (RseqCpuId() < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "rseq area reports cpu_id ", RseqCpuId(),
        " (registration failed for this thread)"));
  }
  return absl::OkStatus();
}

struct PerCpuSlotsBase {
  static constexpr std::size_t kAlign = kLine128;
  static constexpr bool kPerCpu = true;
  // Configured, not online, CPUs: a CPU brought online mid-run still maps to
  // its own slot.
  static std::size_t SlotCount() {
    const long n = sysconf(_SC_NPROCESSORS_CONF);
    return n > 0 ? static_cast<std::size_t>(n) : 1;
  }
};

struct SchedGetCpuPolicy : PerCpuSlotsBase {
  static constexpr std::string_view kName = "percpu";
  static constexpr std::string_view kDescription =
      "per-CPU slots chosen by sched_getcpu() on every request";
  static int Cpu() noexcept { return sched_getcpu(); }
  static absl::Status Check() { return absl::OkStatus(); }
};

struct RseqPolicy : PerCpuSlotsBase {
  static constexpr std::string_view kName = "percpu_rseq";
  static constexpr std::string_view kDescription =
      "per-CPU slots chosen by the rseq area's cpu_id (one load)";
  static int Cpu() noexcept { return RseqCpuId(); }
  static absl::Status Check() { return RseqStatus(); }
};

template <class Clock>
using PerCpu = ShardedWindow<Clock, SchedGetCpuPolicy>;
template <class Clock>
using PerCpuRseq = ShardedWindow<Clock, RseqPolicy>;

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_PERCPU_H_
