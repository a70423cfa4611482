// Load patterns for the thread team (team.h). Each keeps its per-thread state
// in a Local that lives on the worker's stack; counts are plain locals.
#ifndef RATELAB_HARNESS_LOADS_H_
#define RATELAB_HARNESS_LOADS_H_

#include <cstdint>
#include <string>

#include "variants/clock.h"

namespace ratelab {

struct LocalCounts {
  uint64_t attempts = 0;
  uint64_t admitted = 0;
  void Reset() { attempts = admitted = 0; }
};

// Every thread calls as fast as it can.
struct SaturatingLoad {
  struct Local : LocalCounts {};
  Local MakeLocal(int, int) { return {}; }
  template <class V>
  void Step(V& v, typename V::Handle& h, Local& l) {
    ++l.attempts;
    l.admitted += v.try_acquire(h, 1) ? 1 : 0;
  }
};

// The team offers `total_per_s` requests per second in all, each thread an
// equal share at evenly spaced deadlines, threads staggered. A thread that
// falls more than a millisecond behind (preempted) skips the missed
// deadlines instead of firing them back to back: the recorded attempts are
// what was really offered.
struct PacedLoad {
  double total_per_s = 1;
  struct Local : LocalCounts {
    int64_t period_ns = 1;
    int64_t next = 0;
  };
  Local MakeLocal(int thread, int threads) {
    Local l;
    l.period_ns = static_cast<int64_t>(1e9 * threads / total_per_s);
    if (l.period_ns < 1) l.period_ns = 1;
    l.next = SteadyClock{}.Now() + l.period_ns * thread / threads;
    return l;
  }
  template <class V>
  void Step(V& v, typename V::Handle& h, Local& l) {
    const int64_t now = SteadyClock{}.Now();
    if (now < l.next) return;
    if (now - l.next > 1'000'000) l.next = now;
    l.next += l.period_ns;
    ++l.attempts;
    l.admitted += v.try_acquire(h, 1) ? 1 : 0;
  }
};

// Saturating bursts of on_ns separated by off_ns of silence, all threads in
// phase with each other. The cycle (on + off) is chosen by the caller not to
// divide the window, so bursts drift across window boundaries.
struct OnOffLoad {
  int64_t on_ns = 1;
  int64_t off_ns = 1;
  int64_t origin = 0;
  struct Local : LocalCounts {};
  Local MakeLocal(int, int) { return {}; }
  template <class V>
  void Step(V& v, typename V::Handle& h, Local& l) {
    const int64_t now = SteadyClock{}.Now();
    if ((now - origin) % (on_ns + off_ns) >= on_ns) return;
    ++l.attempts;
    l.admitted += v.try_acquire(h, 1) ? 1 : 0;
  }
};

}  // namespace ratelab

#endif  // RATELAB_HARNESS_LOADS_H_
