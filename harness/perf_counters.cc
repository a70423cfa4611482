#include "harness/perf_counters.h"

// libpfm4's header carries its own copy of the kernel's perf_event.h (and a
// perf_event_open() stub); including <linux/perf_event.h> as well would
// redefine every type, so this file uses only libpfm4's.
#include <perfmon/pfmlib_perf_event.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ratelab {
namespace {

constexpr uint64_t kReadFormat = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED |
                                 PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_ID;

// ---- libpfm4 --------------------------------------------------------------

// pfm_initialize() is documented as not thread-safe, and workers open their
// groups concurrently, so it runs exactly once. Its result is kept: if it
// fails, the software events can still be resolved from our own table.
int PfmInitResult() {
  static std::once_flag once;
  static int result = PFM_SUCCESS;
  std::call_once(once, [] { result = pfm_initialize(); });
  return result;
}

// libpfm4 does not promise that its encoding calls are reentrant. They run
// only while groups are opened, never in a measured section, so a lock costs
// nothing that matters.
std::mutex& PfmMutex() {
  static std::mutex mu;
  return mu;
}

// perf's names for the software events, for a libpfm4 that cannot resolve
// them (initialisation failed, or a build without its perf generic table).
// The configs are the kernel ABI (enum perf_sw_ids), so they cannot drift.
bool SoftwareEventConfig(std::string_view name, uint64_t* config) {
  static constexpr std::pair<std::string_view, uint64_t> kTable[] = {
      {"cpu-clock", PERF_COUNT_SW_CPU_CLOCK},
      {"task-clock", PERF_COUNT_SW_TASK_CLOCK},
      {"page-faults", PERF_COUNT_SW_PAGE_FAULTS},
      {"faults", PERF_COUNT_SW_PAGE_FAULTS},
      {"context-switches", PERF_COUNT_SW_CONTEXT_SWITCHES},
      {"cs", PERF_COUNT_SW_CONTEXT_SWITCHES},
      {"cpu-migrations", PERF_COUNT_SW_CPU_MIGRATIONS},
      {"migrations", PERF_COUNT_SW_CPU_MIGRATIONS},
      {"minor-faults", PERF_COUNT_SW_PAGE_FAULTS_MIN},
      {"major-faults", PERF_COUNT_SW_PAGE_FAULTS_MAJ},
      {"alignment-faults", PERF_COUNT_SW_ALIGNMENT_FAULTS},
      {"emulation-faults", PERF_COUNT_SW_EMULATION_FAULTS},
  };
  for (const auto& [n, c] : kTable) {
    if (n == name) {
      *config = c;
      return true;
    }
  }
  return false;
}

// Turns an event name into a perf_event_attr, or an error saying why the
// name is not an event (the "bad flag" class of failure).
absl::StatusOr<perf_event_attr> Resolve(std::string_view name) {
  const std::string n(name);  // libpfm4 wants a NUL-terminated string
  std::string pfm_error;
  if (const int init = PfmInitResult(); init != PFM_SUCCESS) {
    pfm_error = absl::StrCat("libpfm4 not initialised (", pfm_strerror(init), ")");
  } else if (!n.empty()) {
    perf_event_attr attr;
    std::memset(&attr, 0, sizeof(attr));
    pfm_perf_encode_arg_t arg;
    std::memset(&arg, 0, sizeof(arg));
    arg.attr = &attr;
    arg.size = sizeof(arg);
    // PFM_PLM3 = user level only unless the name says otherwise; it becomes
    // exclude_kernel = exclude_hv = 1, which paranoid <= 2 permits. The EXT
    // variant also accepts perf's own modifiers (":u", ":precise=").
    int rc;
    {
      std::lock_guard<std::mutex> lock(PfmMutex());
      rc = pfm_get_os_event_encoding(n.c_str(), PFM_PLM3, PFM_OS_PERF_EVENT_EXT, &arg);
    }
    if (rc == PFM_SUCCESS) {
      attr.size = sizeof(attr);
      return attr;
    }
    pfm_error = absl::StrCat("libpfm4: ", pfm_strerror(rc));
  } else {
    pfm_error = "libpfm4: event not found";
  }
  uint64_t config = 0;
  if (SoftwareEventConfig(name, &config)) {
    perf_event_attr attr;
    std::memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = config;
    attr.exclude_kernel = 1;  // same starting point as libpfm4; see OpenOne
    attr.exclude_hv = 1;
    return attr;
  }
  return absl::InvalidArgumentError(pfm_error);
}

// ---- errno -> reason -------------------------------------------------------

// Symbolic errno names, because the reasons end up in JSON that people grep
// and compare across machines; strerror text is locale- and libc-dependent.
std::string ErrnoName(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ENODEV: return "ENODEV";
    case EBUSY: return "EBUSY";
    case ENOSPC: return "ENOSPC";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case E2BIG: return "E2BIG";
    case EFAULT: return "EFAULT";
    case ENOSYS: return "ENOSYS";
    case EOVERFLOW: return "EOVERFLOW";
    case ESRCH: return "ESRCH";
    case ENOMEM: return "ENOMEM";
    case EBADF: return "EBADF";
    default: return absl::StrCat("errno ", e);
  }
}

std::string ParanoidLevel() {
  std::ifstream in("/proc/sys/kernel/perf_event_paranoid");
  int level = 0;
  if (in >> level) return absl::StrCat(level);
  return "unknown";
}

int OpenEvent(perf_event_attr* attr, int group_fd) {
  // CLOEXEC: bench_all runs helpers (git, uname) via popen; they must not
  // inherit, and keep alive, the workers' counters.
  return perf_event_open(attr, /*pid=*/0, /*cpu=*/-1, group_fd, PERF_FLAG_FD_CLOEXEC);
}

// ENOENT for a generic hardware event means either "this CPU's PMU has no
// such event" or "there is no PMU at all" (a VM without a virtual PMU). The
// second is far more common and is what a reader of machine.json must be
// told, so it is told apart by trying the one event every PMU has: cycles.
bool HardwarePmuPresent() {
  static std::once_flag once;
  static bool present = true;
  std::call_once(once, [] {
    perf_event_attr attr;
    std::memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_HARDWARE;
    attr.config = PERF_COUNT_HW_CPU_CYCLES;
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    const int fd = OpenEvent(&attr, -1);
    if (fd >= 0) {
      close(fd);
    } else {
      // EACCES etc. say nothing about the PMU; only these mean "none".
      present = !(errno == ENOENT || errno == ENODEV || errno == EOPNOTSUPP);
    }
  });
  return present;
}

std::string OpenFailureReason(const perf_event_attr& attr, int err, bool joining) {
  const std::string what = absl::StrCat("perf_event_open ", ErrnoName(err));
  const bool hw = attr.type == PERF_TYPE_HARDWARE || attr.type == PERF_TYPE_HW_CACHE ||
                  attr.type == PERF_TYPE_RAW;
  switch (err) {
    case ENOENT:
      if (hw && !HardwarePmuPresent()) return absl::StrCat("no hardware PMU: ", what);
      return absl::StrCat("event not supported by this machine: ", what);
    case ENODEV:
    case EOPNOTSUPP:
      return absl::StrCat("event not supported by this machine: ", what);
    case EACCES:
    case EPERM:
      return absl::StrCat("permission denied (perf_event_paranoid=", ParanoidLevel(),
                          "): ", ErrnoName(err));
    case EMFILE:
    case ENFILE:
      return absl::StrCat("out of file descriptors: ", what);
    case EBUSY:
    case ENOSPC:
      return absl::StrCat("counter busy or none free: ", what);
    case ENOSYS:
      return absl::StrCat("kernel without perf events: ", what);
    case EINVAL:
      // Alone, EINVAL means the kernel rejects the event itself; in a group
      // it usually means the group as a whole could never fit the PMU.
      if (joining) return absl::StrCat("cannot join this thread's group: ", what);
      return absl::StrCat("rejected by the kernel: ", what);
    default:
      return absl::StrCat("perf_event_open failed: ", ErrnoName(err), " (",
                          std::strerror(err), ")");
  }
}

// Software events whose count does not depend on exclude_kernel: they are
// timers over the task's run time, not filtered per occurrence.
bool CountIgnoresExcludeKernel(const perf_event_attr& attr) {
  return attr.type == PERF_TYPE_SOFTWARE &&
         (attr.config == PERF_COUNT_SW_TASK_CLOCK || attr.config == PERF_COUNT_SW_CPU_CLOCK);
}

// Opens one event into the group led by `group_fd` (-1: as a new leader).
// Returns the fd, or -1 with *reason set.
int OpenOne(perf_event_attr attr, int group_fd, std::string* reason) {
  attr.read_format = kReadFormat;
  attr.inherit = 0;  // this thread only; group reads also forbid inherit
  // Only the leader starts disabled: members with disabled = 0 then run
  // exactly when the leader does, and one ioctl on it controls them all.
  attr.disabled = group_fd < 0 ? 1 : 0;
  if (attr.type == PERF_TYPE_SOFTWARE) {
    // context-switches and cpu-migrations are counted inside the scheduler,
    // i.e. in kernel context; with exclude_kernel = 1 every occurrence is
    // filtered out and they read 0 forever (checked on Linux 6.x). So
    // software events count kernel context too. That needs paranoid <= 1 or
    // CAP_PERFMON; see the fallback below.
    attr.exclude_kernel = 0;
  }
  int fd = OpenEvent(&attr, group_fd);
  int err = fd < 0 ? errno : 0;
  if (fd < 0 && (err == EACCES || err == EPERM) && attr.exclude_kernel == 0 &&
      CountIgnoresExcludeKernel(attr)) {
    // task-clock/cpu-clock give the same count either way, so user-only is
    // not a compromise for them. Event-counting software events are not
    // retried: a count that is always 0 is worse than an honest null.
    attr.exclude_kernel = 1;
    fd = OpenEvent(&attr, group_fd);
    err = fd < 0 ? errno : 0;
  }
  if (fd < 0) *reason = OpenFailureReason(attr, err, group_fd >= 0);
  return fd;
}

// The group read layout for kReadFormat (see perf_event_open(2)).
struct GroupSample {
  uint64_t enabled = 0;
  uint64_t running = 0;
  std::vector<std::pair<uint64_t, uint64_t>> id_value;
};

bool ReadGroup(int leader_fd, size_t max_members, GroupSample* out, std::string* error) {
  std::vector<uint64_t> buf(3 + 2 * max_members);
  const ssize_t n = read(leader_fd, buf.data(), buf.size() * sizeof(uint64_t));
  if (n < 0) {
    *error = absl::StrCat("read of perf group failed: ", ErrnoName(errno));
    return false;
  }
  const auto words = static_cast<size_t>(n) / sizeof(uint64_t);
  if (words < 3 || words < 3 + 2 * buf[0]) {
    *error = absl::StrCat("short read of perf group: ", n, " bytes");
    return false;
  }
  out->enabled = buf[1];
  out->running = buf[2];
  out->id_value.clear();
  for (uint64_t i = 0; i < buf[0]; ++i) {
    out->id_value.emplace_back(buf[3 + 2 * i + 1], buf[3 + 2 * i]);
  }
  return true;
}

}  // namespace

absl::Status CheckEventName(std::string_view name) {
  auto attr = Resolve(name);
  if (attr.ok()) return absl::OkStatus();
  // Explicit std::string: this abseil build has its own string_view type,
  // which neither converts to nor from std::string_view.
  return absl::InvalidArgumentError(
      absl::StrCat("unknown perf event \"", std::string(name), "\": ",
                   std::string(attr.status().message())));
}

std::vector<std::string> DefaultEvents() {
  return {"cycles",           "instructions",   "cache-misses", "L1-dcache-load-misses",
          "context-switches", "cpu-migrations"};
}

PerfGroup PerfGroup::OpenForThisThread(const std::vector<std::string>& events) {
  PerfGroup g;
  g.names_ = events;
  g.members_.resize(events.size());
  g.base_raw_.assign(events.size(), 0);
  for (size_t i = 0; i < events.size(); ++i) {
    Member& m = g.members_[i];
    auto attr = Resolve(events[i]);
    if (!attr.ok()) {
      // bench_all has already rejected unknown names via CheckEventName;
      // here they are just one more null, so the harness never aborts a run.
      m.reason = std::string(attr.status().message());
      continue;
    }
    const int fd = OpenOne(*attr, g.leader_fd_, &m.reason);
    if (fd < 0) continue;
    uint64_t id = 0;
    if (ioctl(fd, PERF_EVENT_IOC_ID, &id) != 0) {
      m.reason = absl::StrCat("ioctl(PERF_EVENT_IOC_ID) failed: ", ErrnoName(errno));
      close(fd);
      continue;
    }
    m.fd = fd;
    m.id = id;
    if (g.leader_fd_ < 0) g.leader_fd_ = fd;  // first event that opened leads
  }
  return g;
}

PerfGroup::PerfGroup(PerfGroup&& other) noexcept
    : names_(std::move(other.names_)),
      members_(std::move(other.members_)),
      leader_fd_(std::exchange(other.leader_fd_, -1)),
      base_enabled_(other.base_enabled_),
      base_running_(other.base_running_),
      base_raw_(std::move(other.base_raw_)),
      group_error_(std::move(other.group_error_)) {
  other.members_.clear();  // the fds now belong to *this
}

PerfGroup& PerfGroup::operator=(PerfGroup&& other) noexcept {
  if (this != &other) {
    CloseAll();
    names_ = std::move(other.names_);
    members_ = std::move(other.members_);
    other.members_.clear();
    leader_fd_ = std::exchange(other.leader_fd_, -1);
    base_enabled_ = other.base_enabled_;
    base_running_ = other.base_running_;
    base_raw_ = std::move(other.base_raw_);
    group_error_ = std::move(other.group_error_);
  }
  return *this;
}

PerfGroup::~PerfGroup() { CloseAll(); }

void PerfGroup::CloseAll() {
  // Members first, leader last: closing a leader turns its siblings into
  // singleton events, which is harmless but pointless work for the kernel.
  for (Member& m : members_) {
    if (m.fd >= 0 && m.fd != leader_fd_) close(m.fd);
    m.fd = -1;
  }
  if (leader_fd_ >= 0) close(leader_fd_);
  leader_fd_ = -1;
}

int PerfGroup::num_open() const {
  int n = 0;
  for (const Member& m : members_) n += m.fd >= 0 ? 1 : 0;
  return n;
}

void PerfGroup::Start() {
  if (leader_fd_ < 0) return;
  group_error_.clear();
  if (ioctl(leader_fd_, PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP) != 0) {
    group_error_ = absl::StrCat("ioctl(PERF_EVENT_IOC_RESET) failed: ", ErrnoName(errno));
    return;
  }
  GroupSample s;
  if (!ReadGroup(leader_fd_, members_.size(), &s, &group_error_)) return;
  base_enabled_ = s.enabled;
  base_running_ = s.running;
  for (size_t i = 0; i < members_.size(); ++i) {
    base_raw_[i] = 0;
    for (const auto& [id, value] : s.id_value) {
      if (members_[i].fd >= 0 && id == members_[i].id) base_raw_[i] = value;
    }
  }
  if (ioctl(leader_fd_, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP) != 0) {
    group_error_ = absl::StrCat("ioctl(PERF_EVENT_IOC_ENABLE) failed: ", ErrnoName(errno));
  }
}

void PerfGroup::Stop() {
  if (leader_fd_ < 0) return;
  if (ioctl(leader_fd_, PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP) != 0 &&
      group_error_.empty()) {
    group_error_ = absl::StrCat("ioctl(PERF_EVENT_IOC_DISABLE) failed: ", ErrnoName(errno));
  }
}

std::vector<CounterValue> PerfGroup::Read() const {
  std::vector<CounterValue> out(names_.size());
  GroupSample s;
  std::string error = group_error_;
  const bool have = leader_fd_ >= 0 && error.empty() &&
                    ReadGroup(leader_fd_, members_.size(), &s, &error);
  for (size_t i = 0; i < names_.size(); ++i) {
    CounterValue& c = out[i];
    c.event = names_[i];
    const Member& m = members_[i];
    if (m.fd < 0) {
      c.reason = m.reason;
      continue;
    }
    if (!have) {
      c.reason = error;
      continue;
    }
    bool found = false;
    for (const auto& [id, value] : s.id_value) {
      if (id == m.id) {
        c.raw = value - base_raw_[i];
        found = true;
      }
    }
    if (!found) {
      c.reason = "event missing from the group read";
      continue;
    }
    c.time_enabled_ns = s.enabled - base_enabled_;
    c.time_running_ns = s.running - base_running_;
    if (c.time_running_ns == 0) {
      // No time on the PMU means no sample to scale from: unknown, not 0.
      c.raw = 0;
      c.reason = c.time_enabled_ns == 0
                     ? "not counted: group never enabled (Start() not called)"
                     : "not counted: group never scheduled (time_running 0)";
      continue;
    }
    c.multiplexed = c.time_running_ns < c.time_enabled_ns;
    c.value = c.multiplexed ? static_cast<double>(c.raw) *
                                  (static_cast<double>(c.time_enabled_ns) /
                                   static_cast<double>(c.time_running_ns))
                            : static_cast<double>(c.raw);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ProbeEvents(
    const std::vector<std::string>& events) {
  PerfGroup g = PerfGroup::OpenForThisThread(events);
  // Enable briefly with some work in between, so that an event which opens
  // but is never scheduled (all counters taken, e.g. by the NMI watchdog)
  // shows up here rather than as nulls in every scaling point.
  g.Start();
  volatile uint64_t sink = 0;
  for (uint64_t i = 0; i < 100000; ++i) sink = sink + i;
  g.Stop();
  std::vector<std::pair<std::string, std::string>> out;
  for (CounterValue& c : g.Read()) out.emplace_back(std::move(c.event), std::move(c.reason));
  return out;
}

absl::StatusOr<std::vector<CounterValue>> SumCounters(
    const std::vector<std::vector<CounterValue>>& per_thread) {
  if (per_thread.empty()) return std::vector<CounterValue>{};
  std::vector<CounterValue> sum;
  const std::vector<CounterValue>& first = per_thread.front();
  for (const CounterValue& c : first) {
    CounterValue s;
    s.event = c.event;
    s.value = 0.0;
    sum.push_back(std::move(s));
  }
  for (size_t t = 0; t < per_thread.size(); ++t) {
    const std::vector<CounterValue>& row = per_thread[t];
    if (row.size() != first.size()) {
      return absl::InvalidArgumentError(absl::StrCat("thread ", t, " has ", row.size(),
                                                     " counters, thread 0 has ", first.size()));
    }
    for (size_t i = 0; i < row.size(); ++i) {
      const CounterValue& c = row[i];
      CounterValue& s = sum[i];
      if (c.event != s.event) {
        return absl::InvalidArgumentError(absl::StrCat("thread ", t, " counter ", i, " is \"",
                                                       c.event, "\", thread 0's is \"",
                                                       s.event, "\""));
      }
      s.raw += c.raw;
      s.time_enabled_ns += c.time_enabled_ns;
      s.time_running_ns += c.time_running_ns;
      s.multiplexed = s.multiplexed || c.multiplexed;
      if (!c.value.has_value()) {
        // One thread uncounted makes the total unknown; a partial sum would
        // look like a real, smaller number.
        if (s.reason.empty()) {
          s.reason = c.reason.empty() ? absl::StrCat("no value in thread ", t) : c.reason;
        }
        s.value.reset();
      } else if (s.value.has_value()) {
        *s.value += *c.value;
      }
    }
  }
  return sum;
}

}  // namespace ratelab
