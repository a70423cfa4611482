// The one list of ratelab's variants. The harness and the tests iterate it;
// adding a variant is one header and one line here.
//
// Variants are listed as templates over the clock, so the harness instantiates
// them with a real clock and the tests with ManualClock. The harness erases
// the type once per run (it picks the variant by name, then runs a template
// instantiated for it), never once per request.
#ifndef RATELAB_VARIANTS_REGISTRY_H_
#define RATELAB_VARIANTS_REGISTRY_H_

#include <string_view>
#include <vector>

#include "variants/clock.h"
#include "variants/leased_token_bucket.h"
#include "variants/limiter.h"
#include "variants/mutex_token_bucket.h"
#include "variants/null_limiter.h"
#include "variants/percpu.h"
#include "variants/redis_gcra.h"
#include "variants/redis_leased.h"
#include "variants/sharded.h"
#include "variants/single_atomic.h"
#include "variants/sliding_window.h"
#include "variants/token_bucket.h"

namespace ratelab {

template <class... Vs>
struct TypeList {};

template <class Clock>
using AllVariants = TypeList<
    NullLimiter<Clock>,
    SingleAtomic<Clock>,
    ShardedUnpadded<Clock>,
    ShardedPadded64<Clock>,
    ShardedPadded128<Clock>,
    PerCpu<Clock>,
    PerCpuRseq<Clock>,
    TokenBucket<Clock>,
    SlidingWindow<Clock>,
    MutexTokenBucket<Clock>,
    LeasedTokenBucket<Clock>,
    RedisGcra<Clock>,
    RedisLeased<Clock>>;

// Calls f.template operator()<V>() for every variant V<Clock>, in list order.
template <class Clock, class F>
void ForEachVariant(F&& f) {
  [&]<class... Vs>(TypeList<Vs...>) {
    static_assert((Limiter<Vs> && ...), "every variant meets the contract");
    (f.template operator()<Vs>(), ...);
  }(AllVariants<Clock>{});
}

struct VariantInfo {
  std::string_view name;
  std::string_view description;
  bool needs_tick;
};

inline std::vector<VariantInfo> ListVariants() {
  std::vector<VariantInfo> out;
  ForEachVariant<SteadyClock>([&]<class V>() {
    out.push_back({V::kName, V::kDescription, V::kNeedsTick});
  });
  return out;
}

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_REGISTRY_H_
