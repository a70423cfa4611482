#include "harness/team.h"

namespace ratelab {

std::atomic<bool>& InterruptFlag() {
  static std::atomic<bool> flag{false};
  return flag;
}

}  // namespace ratelab
