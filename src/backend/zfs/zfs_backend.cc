#include "backend/zfs/zfs_backend.h"

#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "util/command.h"

namespace cairn {
namespace {

constexpr std::string_view k_staging_infix = ".tmp-";

// zfs-fuse reports "dataset is busy" for a moment after the last file of a
// dataset was closed (FUSE releases files asynchronously): such commands are
// retried for up to k_busy_tries * k_busy_wait.
constexpr int k_busy_tries = 100;
constexpr auto k_busy_wait = std::chrono::milliseconds(50);

Result<std::string> zfs(std::vector<std::string> args) {
  args.insert(args.begin(), "zfs");
  for (int attempt = 1;; ++attempt) {
    ASSIGN_OR_RETURN(CommandOutput output, run_command(args));
    bool busy = output.err.find("busy") != std::string::npos;
    if (output.exit_status == 0 || !busy || attempt == k_busy_tries) {
      return checked_output(args, std::move(output));
    }
    std::this_thread::sleep_for(k_busy_wait);
  }
}

Result<void> zfs_do(std::vector<std::string> args) {
  TRY(zfs(std::move(args)));
  return {};
}

// Lines of `zfs … -H` output, split at tabs.
std::vector<std::vector<std::string>> rows_of(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::vector<std::string> fields;
    size_t at = start;
    for (;;) {
      size_t tab = text.find('\t', at);
      if (tab == std::string::npos || tab > end) tab = end;
      fields.push_back(text.substr(at, tab - at));
      if (tab == end) break;
      at = tab + 1;
    }
    if (end > start) rows.push_back(std::move(fields));
    start = end + 1;
  }
  return rows;
}

// True if DATASET (a filesystem or snapshot) exists.
Result<bool> dataset_exists(const std::string& dataset) {
  ASSIGN_OR_RETURN(CommandOutput output,
                   run_command({"zfs", "list", "-H", "-o", "name", "-t", "all", dataset}));
  if (output.exit_status == 0) return true;
  if (output.err.find("does not exist") != std::string::npos) return false;
  return fail_errno(EIO, "zfs list " + dataset + ": " + output.err);
}

Result<std::string> dataset_of_mountpoint(const std::string& root) {
  char* resolved = ::realpath(root.c_str(), nullptr);
  if (resolved == nullptr) return fail_errno(errno, "realpath " + root);
  std::string real(resolved);
  ::free(resolved);
  ASSIGN_OR_RETURN(std::string out,
                   zfs({"list", "-H", "-o", "name,mountpoint", "-t", "filesystem"}));
  for (const auto& row : rows_of(out)) {
    if (row.size() == 2 && row[1] == real) return row[0];
  }
  return fail(Errc::unsupported,
              "zfs backend: store root " + real + " is not the mountpoint of a ZFS dataset");
}

}  // namespace

Result<std::unique_ptr<ZfsBackend>> ZfsBackend::open(const std::string& store_root) {
  ASSIGN_OR_RETURN(std::string dataset, dataset_of_mountpoint(store_root));
  for (const char* child : {"/layers", "/containers"}) {
    ASSIGN_OR_RETURN(bool present, dataset_exists(dataset + child));
    if (!present) TRY(zfs_do({"create", dataset + child}));
  }
  return std::make_unique<ZfsBackend>(Token{}, std::move(dataset));
}

namespace {

// `zfs get -p` (exact bytes) rather than `zfs list -p`, which zfs-fuse lacks;
// one value per line, in the order asked for.
Result<std::vector<UsageItem>> dataset_usage(const std::string& dataset) {
  ASSIGN_OR_RETURN(std::string out,
                   zfs({"get", "-H", "-p", "-o", "value", "used,referenced", dataset}));
  std::vector<UsageItem> items{{"used_bytes", 0}, {"referenced_bytes", 0}};
  std::istringstream lines(out);
  for (UsageItem& item : items) {
    if (!(lines >> item.bytes)) {
      return fail(Errc::bad_input, "zfs get used,referenced " + dataset + ": unexpected output");
    }
  }
  return items;
}

}  // namespace

Result<std::vector<UsageItem>> ZfsBackend::image_usage(const Digest& top) {
  return dataset_usage(layer_dataset(top));
}

Result<std::vector<UsageItem>> ZfsBackend::total_usage() {
  return dataset_usage(m_dataset);
}

std::string ZfsBackend::layer_dataset(const Digest& chain_id) const {
  return m_dataset + "/layers/" + std::string(chain_id.hex());
}

std::string ZfsBackend::container_dataset(const std::string& name) const {
  return m_dataset + "/containers/" + name;
}

Result<std::string> ZfsBackend::mounted_path(const std::string& dataset) {
  ASSIGN_OR_RETURN(std::string out,
                   zfs({"get", "-H", "-o", "value", "mounted,mountpoint", dataset}));
  auto rows = rows_of(out);
  if (rows.size() != 2) return fail(Errc::corrupt_store, "zfs get " + dataset + ": " + out);
  if (rows[0][0] != "yes") TRY(zfs_do({"mount", dataset}));
  return rows[1][0];
}

Result<bool> ZfsBackend::has_layer(const Digest& chain_id) {
  return dataset_exists(layer_dataset(chain_id) + "@done");
}

Result<std::string> ZfsBackend::rootfs_path(const Digest& top) {
  ASSIGN_OR_RETURN(bool present, has_layer(top));
  if (!present) {
    return fail(Errc::corrupt_store, "layer dataset " + layer_dataset(top) + "@done is missing");
  }
  return mounted_path(layer_dataset(top));
}

Result<StagedLayer> ZfsBackend::stage(const std::string& tag, const Digest* parent) {
  std::string name =
      m_dataset + "/layers/" + tag + std::string(k_staging_infix) + std::to_string(::getpid());
  std::vector<std::string> args = {parent ? "clone" : "create"};
  if (parent) args.push_back(layer_dataset(*parent) + "@done");
  args.push_back(name);
  ASSIGN_OR_RETURN(bool leftover, dataset_exists(name));
  if (leftover) TRY(zfs_do({"destroy", "-r", "-f", name}));
  TRY(zfs(args));
  StagedLayer staged{
      .handle = name, .path = "", .parent = parent ? std::optional(*parent) : std::nullopt};
  auto path = mounted_path(name);
  if (!path) {
    discard(staged);
    return fail(std::move(path).error());
  }
  staged.path = std::move(*path);
  return staged;
}

// The cairn:* user properties make the pool self-describing (re-adoption,
// gc's parent links); they are set here, once the layer's identity is known.
Result<void> ZfsBackend::publish(const ChainLink& link, const StagedLayer& staged) {
  std::string target = layer_dataset(link.chain_id);
  TRY(zfs_do({"set", "cairn:chainid=" + link.chain_id.str(), staged.handle}));
  TRY(zfs_do({"set", "cairn:diffid=" + link.diff_id.str(), staged.handle}));
  if (staged.parent) TRY(zfs_do({"set", "cairn:parent=" + staged.parent->str(), staged.handle}));
  TRY(zfs_do({"snapshot", staged.handle + "@done"}));
  TRY(zfs_do({"set", "readonly=on", staged.handle}));
  TRY(zfs_do({"umount", staged.handle}));
  TRY(zfs_do({"rename", staged.handle, target}));
  return zfs_do({"mount", target});
}

void ZfsBackend::discard(const StagedLayer& staged) {
  (void)zfs({"destroy", "-r", "-f", staged.handle});
}

void ZfsBackend::unpublish(const Digest& chain_id) {
  (void)zfs_do({"destroy", "-r", "-f", layer_dataset(chain_id)});
}

Result<std::map<Digest, std::optional<Digest>>> ZfsBackend::list_layers() {
  std::string prefix = m_dataset + "/layers/";
  ASSIGN_OR_RETURN(std::string out, zfs({"list", "-H", "-r", "-t", "filesystem", "-o",
                                         "name,cairn:parent", m_dataset + "/layers"}));
  std::map<Digest, std::optional<Digest>> layers;
  for (const auto& row : rows_of(out)) {
    if (row.size() != 2 || !row[0].starts_with(prefix)) continue;
    std::string hex = row[0].substr(prefix.size());
    if (!Digest::is_hex(hex)) continue;
    ASSIGN_OR_RETURN(Digest layer, Digest::parse("sha256:" + hex));
    std::optional<Digest> parent;
    if (row[1] != "-") {
      ASSIGN_OR_RETURN(parent, Digest::parse(row[1]));
    }
    layers.emplace(std::move(layer), std::move(parent));
  }
  return layers;
}

bool ZfsBackend::serves(const std::string& store_root) {
  return dataset_of_mountpoint(store_root).has_value();
}

Result<void> ZfsBackend::remove_layout() {
  for (const char* child : {"/layers", "/containers"}) TRY(zfs_do({"destroy", m_dataset + child}));
  return {};
}

Result<std::vector<ZfsBackend::Dataset>> ZfsBackend::datasets() {
  std::string prefix = m_dataset + "/layers/";
  ASSIGN_OR_RETURN(std::string out, zfs({"list", "-H", "-r", "-t", "all", "-o", "name,mounted",
                                         m_dataset + "/layers", m_dataset + "/containers"}));
  auto rows = rows_of(out);
  std::set<std::string> names;
  for (const auto& row : rows) names.insert(row[0]);
  std::vector<Dataset> found;
  for (const auto& row : rows) {
    const std::string& name = row[0];
    if (row.size() != 2 || name.find('@') != std::string::npos) continue;
    bool staging = name.starts_with(prefix) && name.find(k_staging_infix) != std::string::npos;
    bool unfinished = name.starts_with(prefix) && !names.contains(name + "@done");
    found.push_back({name, staging || unfinished, row[1] == "yes"});
  }
  return found;
}

Result<void> ZfsBackend::recover() {
  ASSIGN_OR_RETURN(std::vector<Dataset> found, datasets());
  for (const Dataset& dataset : found) {
    if (dataset.unfinished) {
      TRY(zfs_do({"destroy", "-r", "-f", dataset.name}));
    } else if (!dataset.mounted) {
      TRY(zfs_do({"mount", dataset.name}));
    }
  }
  return {};
}

Result<std::vector<std::string>> ZfsBackend::unfinished() {
  ASSIGN_OR_RETURN(std::vector<Dataset> found, datasets());
  std::vector<std::string> lines;
  for (const Dataset& dataset : found) {
    if (dataset.unfinished) lines.push_back("unfinished dataset " + dataset.name);
  }
  return lines;
}

Result<void> ZfsBackend::collect(const std::set<Digest>& keep) {
  ASSIGN_OR_RETURN(auto layers, list_layers());
  for (const Digest& layer : unneeded_layers(layers, keep)) {
    TRY(zfs_do({"destroy", "-r", layer_dataset(layer)}));
  }
  return {};
}

Result<std::string> ZfsBackend::create_container(const Digest& top, const std::string& name) {
  ASSIGN_OR_RETURN(bool present, has_layer(top));
  if (!present) {
    return fail(Errc::corrupt_store, "layer dataset " + layer_dataset(top) + "@done is missing");
  }
  ASSIGN_OR_RETURN(bool taken, dataset_exists(container_dataset(name)));
  if (taken) return fail(Errc::already_exists, "container " + name);
  TRY(zfs_do({"clone", "-o", "cairn:container=" + name, layer_dataset(top) + "@done",
              container_dataset(name)}));
  return mounted_path(container_dataset(name));
}

Result<void> ZfsBackend::remove_container(const std::string& name) {
  ASSIGN_OR_RETURN(bool present, dataset_exists(container_dataset(name)));
  if (!present) return {};
  return zfs_do({"destroy", "-r", "-f", container_dataset(name)});
}

Result<std::string> ZfsBackend::container_path(const std::string& name) {
  ASSIGN_OR_RETURN(bool present, dataset_exists(container_dataset(name)));
  if (!present) return fail(Errc::not_found, "container " + name + " has no dataset");
  return mounted_path(container_dataset(name));
}

}  // namespace cairn
