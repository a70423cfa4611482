#include "harness/machine.h"

#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <perfmon/pfmlib.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/config.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "harness/perf_counters.h"
#include "variants/percpu.h"

namespace ratelab {
namespace {

using json = nlohmann::json;

// A CPU number: decimal digits only, at most kMaxCpuNumber. absl::SimpleAtoi
// is not used because it accepts a sign and surrounding spaces, which would
// let "+3" or "1 2" through.
absl::StatusOr<int> ParseCpuNumber(absl::string_view s, absl::string_view item) {
  const absl::string_view t = absl::StripAsciiWhitespace(s);
  if (t.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("item \"", absl::CHexEscape(item), "\" is missing a CPU number"));
  }
  if (t.front() == '-') {
    return absl::InvalidArgumentError(absl::StrCat(
        "item \"", absl::CHexEscape(item), "\": CPU numbers cannot be negative"));
  }
  int value = 0;
  for (const char c : t) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "item \"", absl::CHexEscape(item), "\": \"", absl::CHexEscape(t),
          "\" is not a CPU number"));
    }
    value = value * 10 + (c - '0');
    // Checked per digit so a long run of digits cannot overflow int.
    if (value > kMaxCpuNumber) {
      return absl::InvalidArgumentError(absl::StrCat(
          "item \"", absl::CHexEscape(item), "\": CPU number \"",
          absl::CHexEscape(t), "\" is above the largest accepted, ",
          kMaxCpuNumber));
    }
  }
  return value;
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return ss.str();
}

// An int read from a one-number file (sysfs, procfs), or null.
json ReadIntFile(const std::string& path) {
  const std::optional<std::string> text = ReadFile(path);
  int value = 0;
  if (!text || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &value)) {
    return nullptr;
  }
  return value;
}

// Single-quotes `s` for /bin/sh, so a source directory with spaces or quotes
// in its path still reaches git as one argument.
std::string ShellQuote(absl::string_view s) {
  return absl::StrCat("'", absl::StrReplaceAll(s, {{"'", "'\\''"}}), "'");
}

// Runs `command` through /bin/sh and returns its stdout, or nullopt when it
// could not start or exited non-zero. stderr is discarded so a missing tool or
// a directory that is not a checkout does not end up in bench_all's output.
std::optional<std::string> RunCommand(const std::string& command) {
  FILE* pipe = popen(absl::StrCat(command, " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  const int status = pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return std::nullopt;
  }
  return out;
}

// The fields of /proc/cpuinfo that describe the machine as a whole, taken
// from the first processor's block (they are the same for every processor on
// the machines ratelab targets).
struct CpuInfo {
  json model = nullptr;        // "model name"
  json virtualized = nullptr;  // "hypervisor" in "flags"; null without "flags"
};

CpuInfo ReadCpuInfo() {
  CpuInfo info;
  const std::optional<std::string> text = ReadFile("/proc/cpuinfo");
  if (!text) return info;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    const std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits(':', 1));
    const absl::string_view key = absl::StripAsciiWhitespace(kv.first);
    const absl::string_view value = absl::StripAsciiWhitespace(kv.second);
    if (key == "model name" && info.model.is_null()) {
      info.model = std::string(value);
    } else if (key == "flags" && info.virtualized.is_null()) {
      // The CPUID "hypervisor present" bit, which x86 hypervisors set for
      // their guests. Other architectures have no "flags" line: null there.
      bool found = false;
      for (absl::string_view flag : absl::StrSplit(value, ' ', absl::SkipEmpty())) {
        if (flag == "hypervisor") found = true;
      }
      info.virtualized = found;
    }
  }
  return info;
}

json Topology(const std::vector<int>& cpus) {
  json out = json::array();
  for (const int cpu : cpus) {
    const std::string dir =
        absl::StrCat("/sys/devices/system/cpu/cpu", cpu, "/topology/");
    out.push_back({{"cpu", cpu},
                   {"core_id", ReadIntFile(dir + "core_id")},
                   {"package_id", ReadIntFile(dir + "physical_package_id")}});
  }
  return out;
}

json Kernel() {
  utsname u;
  if (uname(&u) != 0) return nullptr;
  return absl::StrCat(u.sysname, " ", u.release, " ", u.machine);
}

std::string Hostname() {
  // uname's nodename is what gethostname() returns, without the buffer-size
  // question; "" only if uname itself fails, which it does not on Linux.
  utsname u;
  if (uname(&u) != 0) return "";
  return u.nodename;
}

json Compiler() {
#if defined(__clang__)
  // clang also defines __GNUC__, so it is tested first.
  return absl::StrCat("clang ", __clang_major__, ".", __clang_minor__, ".",
                      __clang_patchlevel__);
#elif defined(__GNUC__)
  return absl::StrCat("GNU ", __VERSION__);
#else
  return nullptr;
#endif
}

// Build settings, passed in by harness/CMakeLists.txt. Absent when machine.cc
// is built some other way; then "unknown" (null) is the honest answer.
json CxxFlags() {
#ifdef RATELAB_CXX_FLAGS
  return RATELAB_CXX_FLAGS;
#else
  return nullptr;
#endif
}

json BuildType() {
#ifdef RATELAB_BUILD_TYPE
  return absl::string_view(RATELAB_BUILD_TYPE).empty() ? json(nullptr)
                                                      : json(RATELAB_BUILD_TYPE);
#else
  return nullptr;
#endif
}

// The revision of the source tree the binary was built from, asked of git at
// run time: null when git is missing, the directory is no checkout, or git
// refuses it (e.g. "dubious ownership").
std::pair<json, json> GitState() {
#ifdef RATELAB_SOURCE_DIR
  const std::string dir = ShellQuote(RATELAB_SOURCE_DIR);
  json revision = nullptr;
  json dirty = nullptr;
  if (auto head = RunCommand(absl::StrCat("git -C ", dir, " rev-parse HEAD"))) {
    revision = std::string(absl::StripAsciiWhitespace(*head));
  }
  // Untracked files count as dirty on purpose: a new source file that is not
  // yet added to git is still compiled into the binary.
  if (auto status = RunCommand(absl::StrCat("git -C ", dir, " status --porcelain"))) {
    dirty = !absl::StripAsciiWhitespace(*status).empty();
  }
  return {revision, dirty};
#else
  return {nullptr, nullptr};
#endif
}

json AbseilVersion() {
#if defined(ABSL_LTS_RELEASE_VERSION) && defined(ABSL_LTS_RELEASE_PATCH_LEVEL)
  // Abseil names its releases "<LTS date>.<patch>", e.g. 20220623.1.
  return absl::StrCat(ABSL_LTS_RELEASE_VERSION, ".", ABSL_LTS_RELEASE_PATCH_LEVEL);
#elif defined(ABSL_LTS_RELEASE_VERSION)
  return absl::StrCat(ABSL_LTS_RELEASE_VERSION);
#else
  return nullptr;  // built from Abseil's head, which has no release number
#endif
}

// The upstream part of an installed Debian package's version ("1:4.13.0-1"
// -> "4.13.0"), or null when dpkg is absent or the package is not installed.
json DebianUpstreamVersion(const std::string& package) {
  std::optional<std::string> v =
      RunCommand(absl::StrCat("dpkg-query -W -f='${Version}' ", package));
  if (!v) return nullptr;
  absl::string_view version = absl::StripAsciiWhitespace(*v);
  if (const size_t colon = version.find(':'); colon != version.npos) {
    version.remove_prefix(colon + 1);  // epoch
  }
  if (const size_t dash = version.rfind('-'); dash != version.npos) {
    version = version.substr(0, dash);  // Debian revision
  }
  if (version.empty()) return nullptr;
  return std::string(version);
}

// The full version of the shared library that holds `symbol`, as this
// process loaded it: the file the soname link points to is named
// lib<name>.so.<version>, e.g. libpfm.so.4.13.0. Null when the library is
// linked statically or the name carries no more than the soname's major.
json LoadedLibraryVersion(const void* symbol) {
  Dl_info info;
  if (dladdr(symbol, &info) == 0 || info.dli_fname == nullptr) return nullptr;
  char* real = realpath(info.dli_fname, nullptr);
  if (real == nullptr) return nullptr;
  const std::string path = real;
  free(real);
  const absl::string_view name =
      absl::string_view(path).substr(path.rfind('/') + 1);
  const size_t so = name.find(".so.");
  if (so == name.npos) return nullptr;
  const absl::string_view version = name.substr(so + 4);
  if (version.find('.') == version.npos) return nullptr;
  return std::string(version);
}

// Google Benchmark has no version macro. The version CMake's find_package saw
// (the one compiled against) comes in as RATELAB_BENCHMARK_VERSION; failing
// that, ask dpkg.
json BenchmarkVersion() {
#ifdef RATELAB_BENCHMARK_VERSION
  if (!absl::string_view(RATELAB_BENCHMARK_VERSION).empty()) {
    return RATELAB_BENCHMARK_VERSION;
  }
#endif
  return DebianUpstreamVersion("libbenchmark-dev");
}

// pfm_get_version() is no use here: libpfm4 has returned LIBPFM_VERSION =
// 4.0 since 4.0 (4.13 still says 4.0). The loaded library's file name knows
// better; dpkg is the fallback for a static link.
json Libpfm4Version() {
  json v = LoadedLibraryVersion(reinterpret_cast<const void*>(&pfm_get_version));
  if (v.is_null()) v = DebianUpstreamVersion("libpfm4");
  return v;
}

}  // namespace

absl::StatusOr<std::vector<int>> ParseCpuList(std::string_view std_text) {
  // Debian's Abseil has its own string_view type, not std's.
  const absl::string_view text(std_text.data(), std_text.size());
  auto fail = [&](const absl::Status& why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "CPU list \"", absl::CHexEscape(text), "\": ", why.message()));
  };
  const absl::string_view whole = absl::StripAsciiWhitespace(text);
  if (whole.empty()) {
    return fail(absl::InvalidArgumentError("is empty; expected e.g. \"0-3,8\""));
  }
  std::vector<int> out;
  std::vector<bool> seen(kMaxCpuNumber + 1, false);
  for (absl::string_view raw : absl::StrSplit(whole, ',')) {
    const absl::string_view item = absl::StripAsciiWhitespace(raw);
    if (item.empty()) {
      return fail(absl::InvalidArgumentError(
          "has an empty item (two commas in a row, or a comma at an end)"));
    }
    // The range dash is the first '-' after the first character: a leading
    // '-' is a minus sign, reported as a negative number.
    const size_t dash = item.find('-', 1);
    int lo, hi;
    if (dash == item.npos) {
      absl::StatusOr<int> n = ParseCpuNumber(item, item);
      if (!n.ok()) return fail(n.status());
      lo = hi = *n;
    } else {
      absl::StatusOr<int> a = ParseCpuNumber(item.substr(0, dash), item);
      if (!a.ok()) return fail(a.status());
      absl::StatusOr<int> b = ParseCpuNumber(item.substr(dash + 1), item);
      if (!b.ok()) return fail(b.status());
      if (*b < *a) {
        return fail(absl::InvalidArgumentError(absl::StrCat(
            "range \"", absl::CHexEscape(item), "\" is descending (", *a, " > ",
            *b, "); write the lower CPU first")));
      }
      lo = *a;
      hi = *b;
    }
    for (int cpu = lo; cpu <= hi; ++cpu) {
      // A repeat would silently give one CPU two workers when bench_all deals
      // CPUs out to threads, so it is refused rather than deduplicated.
      if (seen[cpu]) {
        return fail(absl::InvalidArgumentError(absl::StrCat(
            "CPU ", cpu, " is listed twice (again in \"",
            absl::CHexEscape(item), "\")")));
      }
      seen[cpu] = true;
      out.push_back(cpu);
    }
  }
  return out;
}

std::vector<int> OnlineCpus() {
  if (std::optional<std::string> text =
          ReadFile("/sys/devices/system/cpu/online")) {
    absl::StatusOr<std::vector<int>> cpus = ParseCpuList(*text);
    if (cpus.ok() && !cpus->empty()) return *std::move(cpus);
  }
  // No sysfs (some containers): assume the online CPUs are numbered densely.
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  std::vector<int> out;
  for (int i = 0; i < (n > 0 ? n : 1); ++i) out.push_back(i);
  return out;
}

json DescribeMachine(const std::vector<std::string>& events) {
  const std::vector<int> cpus = OnlineCpus();
  const CpuInfo cpuinfo = ReadCpuInfo();
  auto [revision, dirty] = GitState();

  json counters = json::object();
  for (const auto& [event, reason] : ProbeEvents(events)) {
    counters[event] = {{"available", reason.empty()},
                       {"reason", reason.empty() ? json(nullptr) : json(reason)}};
  }

  return json{
      {"hostname", Hostname()},
      {"cpu_model", cpuinfo.model},
      {"online_cpus", cpus},
      {"topology", Topology(cpus)},
      {"kernel", Kernel()},
      {"glibc", gnu_get_libc_version()},
      {"compiler", Compiler()},
      {"cxx_flags", CxxFlags()},
      {"build_type", BuildType()},
      {"git_revision", std::move(revision)},
      {"git_dirty", std::move(dirty)},
      {"libraries",
       {{"abseil", AbseilVersion()},
        {"benchmark", BenchmarkVersion()},
        {"libpfm4", Libpfm4Version()}}},
      {"virtualized", cpuinfo.virtualized},
      {"perf_event_paranoid", ReadIntFile("/proc/sys/kernel/perf_event_paranoid")},
      // Per thread in principle; glibc registers every thread alike, so the
      // calling thread stands for the workers.
      {"rseq_registered", RseqStatus().ok()},
      {"counters", std::move(counters)},
  };
}

}  // namespace ratelab
