// Test support: the registry's variant list as GoogleTest types, named by
// each variant's kName, for typed test suites.
#ifndef RATELAB_VARIANTS_GTEST_VARIANTS_H_
#define RATELAB_VARIANTS_GTEST_VARIANTS_H_

#include <string>

#include "gtest/gtest.h"
#include "variants/registry.h"

namespace ratelab {

template <class L>
struct ToGtest;
template <class... Vs>
struct ToGtest<TypeList<Vs...>> {
  using type = ::testing::Types<Vs...>;
};

// Every variant instantiated with Clock, as ::testing::Types.
template <class Clock>
using GtestVariants = typename ToGtest<AllVariants<Clock>>::type;

// Names typed tests after the variant ("ContractTest/token_bucket").
struct VariantName {
  template <class V>
  static std::string GetName(int) {
    return std::string(V::kName);
  }
};

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_GTEST_VARIANTS_H_
