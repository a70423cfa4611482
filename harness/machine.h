// What a run was measured on: the machine.json object of RESULTS.md, and the
// CPU-list parsing that bench_all's --cpus flag shares with it.
//
// Everything here is read once, at the start of a run, so it favours saying
// "unknown" (a JSON null) over guessing: a field that cannot be read is null,
// never a made-up default, and the run still proceeds.
#ifndef RATELAB_HARNESS_MACHINE_H_
#define RATELAB_HARNESS_MACHINE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ratelab {

// Parses the kernel's CPU-list format ("0-3,8", as in
// /sys/devices/system/cpu/online and taskset -c): comma-separated items, each
// a CPU number or an ascending range "a-b" (a <= b, both included). Spaces,
// tabs and newlines around items and around the '-' are ignored, so a sysfs
// file can be passed as read. CPUs come back in the order written, ranges
// expanded. InvalidArgument, naming the offending text, for: an empty list or
// item, a negative number, a descending range, a CPU number above
// kMaxCpuNumber, a CPU listed twice, or anything else that is not the grammar.
absl::StatusOr<std::vector<int>> ParseCpuList(std::string_view text);

// The largest CPU number ParseCpuList accepts. Linux's NR_CPUS tops out at
// 8192, so anything far above that is a typo, and the bound keeps "0-2000000000"
// from allocating gigabytes.
inline constexpr int kMaxCpuNumber = 65535;

// The online CPUs, from /sys/devices/system/cpu/online. If that file is
// missing or unparsable, falls back to 0 .. sysconf(_SC_NPROCESSORS_ONLN)-1,
// so the result is never empty. Note: this is what the kernel has online, not
// what this process may run on (a cpuset or taskset can restrict that).
std::vector<int> OnlineCpus();

// The machine.json object of RESULTS.md without "schema_version" (the writer
// adds it): hostname, cpu_model, online_cpus, topology, kernel, glibc,
// compiler, cxx_flags, build_type, git_revision, git_dirty, libraries,
// virtualized, perf_event_paranoid, rseq_registered, and counters: one entry
// {available, reason} per name in `events`, probed on the calling thread with
// ProbeEvents (reason is null when available). Runs `git` (and, only where a
// version is not known otherwise, `dpkg-query`) as child processes; takes a
// few milliseconds. Call it on the main thread before workers start: popen
// forks.
nlohmann::json DescribeMachine(const std::vector<std::string>& events);

}  // namespace ratelab

#endif  // RATELAB_HARNESS_MACHINE_H_
