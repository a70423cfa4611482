// Small sequential reference models of the variants' promises, for the
// contract tests (and any fuzzer): each is written from the promise's
// definition, not from the variant's code, and runs single-threaded.
//
//  - ModelFor<V> gives a model whose decisions must equal the variant's,
//    request for request, when one thread drives the variant with a manual
//    clock (nullptr where the variant's decisions depend on more than the
//    promise, as for the leases of leased_token_bucket).
//  - PromiseChecker checks a stream of admissions against a Promise: for a
//    token-bucket promise, that every interval of length t held at most
//    burst + slack + floor(t / I); for a fixed-window promise, that every
//    aligned window held at most burst + slack.
#ifndef RATELAB_VARIANTS_REFERENCE_MODEL_H_
#define RATELAB_VARIANTS_REFERENCE_MODEL_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "variants/limiter.h"
#include "variants/registry.h"
#include "variants/util.h"

namespace ratelab {

class Model {
 public:
  virtual ~Model() = default;
  virtual bool Acquire(int64_t now, uint64_t n) = 0;
  virtual void Tick(int64_t /*now*/) {}
};

// Admits every valid request.
class UnboundedModel : public Model {
 public:
  explicit UnboundedModel(const Limits& l) : l_(l) {}
  bool Acquire(int64_t, uint64_t n) override { return n >= 1 && n <= l_.burst; }

 private:
  Limits l_;
};

// A token bucket kept as "credit in nanoseconds": credit grows by one ns per
// ns up to B*I, and n permits cost n*I. The same promise as GCRA, from the
// other side (the bucket's content, not its arrival time).
class TokenBucketModel : public Model {
 public:
  explicit TokenBucketModel(const Limits& l)
      : l_(l),
        interval_(static_cast<int64_t>(
            CeilDiv(static_cast<uint64_t>(l.window_ns), l.limit))),
        cap_(static_cast<int64_t>(l.burst) * interval_),
        credit_(cap_) {}
  bool Acquire(int64_t now, uint64_t n) override {
    if (n == 0 || n > l_.burst) return false;
    Refill(now);
    const int64_t cost = static_cast<int64_t>(n) * interval_;
    if (credit_ < cost) return false;
    credit_ -= cost;
    return true;
  }

 private:
  void Refill(int64_t now) {
    if (!started_) {
      started_ = true;
      last_ = now;
    }
    if (now > last_) {
      credit_ = std::min(cap_, credit_ + (now - last_));
      last_ = now;
    }
  }
  Limits l_;
  int64_t interval_, cap_, credit_;
  int64_t last_ = 0;
  bool started_ = false;
};

// L permits per aligned window [kW, (k+1)W).
class FixedWindowModel : public Model {
 public:
  explicit FixedWindowModel(const Limits& l) : l_(l) {}
  bool Acquire(int64_t now, uint64_t n) override {
    if (n == 0 || n > l_.burst || n > l_.limit) return false;
    const int64_t w = FloorDiv(now, l_.window_ns);
    if (!started_ || w > window_) {
      started_ = true;
      window_ = w;
      count_ = 0;
    } else if (w < window_) {
      return false;
    }
    if (count_ + n > l_.limit) return false;
    count_ += n;
    return true;
  }

 private:
  Limits l_;
  bool started_ = false;
  int64_t window_ = 0;
  uint64_t count_ = 0;
};

// The sliding-window counter: the previous window's count weighted by the
// fraction of it still inside the look-back, plus the current count.
class SlidingWindowModel : public Model {
 public:
  explicit SlidingWindowModel(const Limits& l) : l_(l) {}
  bool Acquire(int64_t now, uint64_t n) override {
    if (n == 0 || n > l_.burst || n > l_.limit) return false;
    const int64_t w = FloorDiv(now, l_.window_ns);
    if (!started_) {
      started_ = true;
      window_ = w;
    }
    if (w < window_) return false;
    if (w > window_) {
      prev_ = (w == window_ + 1) ? cur_ : 0;
      cur_ = 0;
      window_ = w;
    }
    const long double left =
        static_cast<long double>(l_.window_ns - (now - w * l_.window_ns)) /
        static_cast<long double>(l_.window_ns);
    // floor(prev * left), computed exactly in integers to match the bound.
    const unsigned __int128 est128 =
        static_cast<unsigned __int128>(prev_) *
        static_cast<uint64_t>(l_.window_ns - (now - w * l_.window_ns)) /
        static_cast<uint64_t>(l_.window_ns);
    (void)left;
    const uint64_t est = static_cast<uint64_t>(est128);
    if (est + cur_ + n > l_.limit) return false;
    cur_ += n;
    return true;
  }

 private:
  Limits l_;
  bool started_ = false;
  int64_t window_ = 0;
  uint64_t prev_ = 0, cur_ = 0;
};

// One thread's view of the sharded counter: a flag that the aggregator opens
// while the window's count is below L, and a quota of q permits per tick.
class ShardedModel : public Model {
 public:
  ShardedModel(const Limits& l, uint64_t quota, int64_t start)
      : l_(l), q_(quota), window_(FloorDiv(start, l.window_ns)) {}
  bool Acquire(int64_t, uint64_t n) override {
    if (n == 0 || n > l_.burst || !open_) return false;
    if (count_ - seen_ + n > q_) return false;
    count_ += n;
    return true;
  }
  void Tick(int64_t now) override {
    seen_ = count_;
    const int64_t w = FloorDiv(now, l_.window_ns);
    if (w > window_) {
      window_ = w;
      base_ = count_;
    }
    open_ = count_ - base_ < l_.limit;
  }

 private:
  Limits l_;
  uint64_t q_;
  int64_t window_;
  bool open_ = true;
  uint64_t count_ = 0, seen_ = 0, base_ = 0;
};

// The model for variant V, or nullptr when its decisions are not a function of
// the promise alone.
template <class V>
std::unique_ptr<Model> ModelFor(const V& v, const Limits& l, int64_t start) {
  const std::string_view name = V::kName;
  if (name == "null") return std::make_unique<UnboundedModel>(l);
  if (name == "token_bucket" || name == "mutex_token_bucket" ||
      name == "redis_gcra") {
    return std::make_unique<TokenBucketModel>(l);
  }
  if (name == "single_atomic") return std::make_unique<FixedWindowModel>(l);
  if (name == "sliding_window") return std::make_unique<SlidingWindowModel>(l);
  if constexpr (requires { v.quota(); }) {
    return std::make_unique<ShardedModel>(l, v.quota(), start);
  }
  return nullptr;
}

// Checks admissions, fed in time order, against a promise.
class PromiseChecker {
 public:
  explicit PromiseChecker(const Promise& p) : p_(p) {
    if (p_.kind == Promise::Kind::kTokenBucket) {
      // GCRA with the promise's own tolerance never refuses a conforming
      // stream, and flags the first admission that no interval allows.
      tau_ = static_cast<int64_t>(Promise::SatAdd(p_.burst, p_.slack)) *
             p_.interval_ns;
    }
  }

  // Records n permits admitted at `now`; returns false if the promise broke.
  bool Admit(int64_t now, uint64_t n) {
    switch (p_.kind) {
      case Promise::Kind::kUnbounded:
        return true;
      case Promise::Kind::kTokenBucket: {
        const int64_t start = std::max(tat_, now);
        tat_ = start + static_cast<int64_t>(n) * p_.interval_ns;
        if (tat_ - now > tau_) {
          ++violations_;
          return false;
        }
        return true;
      }
      case Promise::Kind::kFixedWindow: {
        const int64_t w = FloorDiv(now, p_.interval_ns);
        uint64_t& c = windows_[w];
        c += n;
        if (c > p_.PerWindow()) {
          ++violations_;
          return false;
        }
        return true;
      }
    }
    return true;
  }
  uint64_t violations() const { return violations_; }
  // Most permits seen in one aligned window so far (fixed-window promises).
  uint64_t MaxWindow() const {
    uint64_t m = 0;
    for (const auto& [w, c] : windows_) m = std::max(m, c);
    return m;
  }

 private:
  Promise p_;
  int64_t tau_ = 0;
  int64_t tat_ = std::numeric_limits<int64_t>::min() / 4;
  std::map<int64_t, uint64_t> windows_;
  uint64_t violations_ = 0;
};

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_REFERENCE_MODEL_H_
