#include "harness/results_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace ratelab {

absl::Status WriteFileAtomic(const std::string& path, const std::string& content) {
  const std::filesystem::path p(path);
  const std::string tmp =
      (p.parent_path() / absl::StrCat(".", p.filename().string(), ".tmp.", getpid()))
          .string();
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot create ", tmp, ": ", strerror(errno)));
  }
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      close(fd);
      unlink(tmp.c_str());
      return absl::UnavailableError(
          absl::StrCat("cannot write ", path, ": ", strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot flush ", path, ": ", strerror(err)));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot rename to ", path, ": ", strerror(err)));
  }
  return absl::OkStatus();
}

absl::StatusOr<RunFolder> RunFolder::Create(const std::string& out,
                                            const std::string& run_id) {
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("--out=", out, ": cannot create: ", ec.message()));
  }
  const std::string path = (std::filesystem::path(out) / run_id).string();
  if (!std::filesystem::create_directory(path, ec) || ec) {
    return absl::UnavailableError(absl::StrCat(
        "--out=", out, ": cannot create run folder ", path, ": ",
        ec ? ec.message() : "it already exists"));
  }
  return RunFolder(path);
}

absl::Status RunFolder::WriteJson(const std::string& name,
                                  nlohmann::json j) const {
  if (j.is_object() && !j.contains("schema_version")) {
    j["schema_version"] = kSchemaVersion;
  }
  return WriteText(name, j.dump(1) + "\n");
}

absl::Status RunFolder::WriteText(const std::string& name,
                                  const std::string& text) const {
  return WriteFileAtomic((std::filesystem::path(path_) / name).string(), text);
}

namespace {

std::string FormatUtcNow(const char* format) {
  const time_t t = time(nullptr);
  tm utc;
  gmtime_r(&t, &utc);
  char buf[32];
  strftime(buf, sizeof buf, format, &utc);
  return buf;
}

}  // namespace

std::string UtcNow() { return FormatUtcNow("%Y-%m-%dT%H:%M:%SZ"); }

std::string MakeRunId() {
  const std::string stamp = FormatUtcNow("%Y%m%dT%H%M%SZ");
  char host[256] = "host";
  gethostname(host, sizeof host - 1);
  host[sizeof host - 1] = '\0';
  std::string h = host;
  for (char& ch : h) {
    if (!isalnum(static_cast<unsigned char>(ch)) && ch != '-') ch = '-';
  }
  return absl::StrCat(stamp, "-", h.substr(0, 40));
}

}  // namespace ratelab
