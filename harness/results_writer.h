// Writing results: whole files only (temporary name, then rename), one folder
// per run.
#ifndef RATELAB_HARNESS_RESULTS_WRITER_H_
#define RATELAB_HARNESS_RESULTS_WRITER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ratelab {

inline constexpr int kSchemaVersion = 1;

// Writes `content` to `path` so that readers see the old file or the new one,
// never a part: a temporary file in the same folder, flushed, then renamed.
absl::Status WriteFileAtomic(const std::string& path, const std::string& content);

// A run's folder, `<out>/<run_id>`.
class RunFolder {
 public:
  // Creates <out> (and parents) if needed, then <out>/<run_id>, which must not
  // exist yet.
  static absl::StatusOr<RunFolder> Create(const std::string& out,
                                          const std::string& run_id);
  // Writes <folder>/<name> whole; adds "schema_version" to objects.
  absl::Status WriteJson(const std::string& name, nlohmann::json j) const;
  absl::Status WriteText(const std::string& name, const std::string& text) const;
  const std::string& path() const { return path_; }

 private:
  explicit RunFolder(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// "20261204T200000Z-host" from the current UTC time and the host name.
std::string MakeRunId();
std::string UtcNow();  // ISO 8601, seconds, "Z"

}  // namespace ratelab

#endif  // RATELAB_HARNESS_RESULTS_WRITER_H_
