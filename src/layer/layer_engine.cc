// Path resolution walks a work list of components from the root: a symlink
// met on the way pushes its target's components in front (an absolute target
// restarts at the root), ".." pops the walked path. Components that came
// from an absolute symlink's target remember it, so that a missing one is
// refused rather than made.
#include "layer/layer_engine.h"

#include <cerrno>
#include <deque>

#include "layer/oci_path.h"
#include "util/split.h"

namespace cairn {
namespace {

constexpr int k_max_symlinks = 40;

std::string join_real(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string out;
  out.reserve(dir.size() + 1 + name.size());
  out.append(dir).append("/").append(name);
  return out;
}

struct Component {
  std::string name;
  bool from_absolute_link = false;
};

void push_components(std::deque<Component>& todo, std::string_view path, bool from_absolute_link) {
  std::deque<Component> parts;
  for (std::string_view part : split(path, '/')) {
    if (!part.empty() && part != ".") parts.push_back({std::string(part), from_absolute_link});
  }
  todo.insert(todo.begin(), parts.begin(), parts.end());
}

}  // namespace

Result<Placement> LayerEngine::place(std::string_view dir, std::string_view name,
                                     LayerEntryKind kind, std::string_view link_target) {
  if (dir.empty() && name.empty()) {
    if (kind != LayerEntryKind::directory) {
      return fail(Errc::unsafe_path, "refusing to change the type of the root directory");
    }
    return Placement{Placement::Action::update_dir, "", ""};
  }
  ASSIGN_OR_RETURN(std::string parent, entry_parent(dir));
  Placement placement{Placement::Action::create, join_real(parent, name), ""};
  ASSIGN_OR_RETURN(TargetNode there, m_target.look(placement.real));
  if (kind == LayerEntryKind::directory && there.type == NodeType::directory) {
    placement.action = Placement::Action::update_dir;
  } else if (there.type != NodeType::absent) {
    TRY(remove(placement.real, there.type));
  }
  if (kind == LayerEntryKind::hardlink) {
    auto [target_dir, target_name] = split_layer_path(link_target);
    if (target_name.empty()) return fail(Errc::bad_input, "hardlink to the root directory");
    std::string missing = "hardlink target /" + std::string(link_target) + " is not in the rootfs";
    ASSIGN_OR_RETURN(auto target_parent, resolve(target_dir, Escape::refuse, Missing::absent));
    if (!target_parent) return fail(Errc::bad_input, missing);
    placement.link_real = join_real(*target_parent, target_name);
    ASSIGN_OR_RETURN(TargetNode target, m_target.look(placement.link_real));
    if (target.type == NodeType::absent) return fail(Errc::bad_input, missing);
    if (target.type == NodeType::directory) {
      return fail_errno(EPERM, "hardlink to directory /" + std::string(link_target));
    }
    placement.action = Placement::Action::link;
  }
  mark_upper(placement.real);
  return placement;
}

Result<void> LayerEngine::whiteout(std::string_view dir, std::string_view name) {
  ASSIGN_OR_RETURN(auto parent, resolve(dir, Escape::confine, Missing::absent));
  if (!parent) return {};
  return prune_lower(join_real(*parent, name));
}

Result<void> LayerEngine::opaque(std::string_view dir) {
  ASSIGN_OR_RETURN(auto real, resolve(dir, Escape::confine, Missing::absent));
  if (!real) return {};
  ASSIGN_OR_RETURN(std::vector<std::string> names, m_target.list(*real));
  for (const std::string& name : names) TRY(prune_lower(join_real(*real, name)));
  return {};
}

Result<std::string> LayerEngine::entry_parent(std::string_view dir) {
  if (m_last_parent && m_last_parent->first == dir) return m_last_parent->second;
  ASSIGN_OR_RETURN(auto real, resolve(dir, Escape::refuse, Missing::create));
  m_last_parent.emplace(std::string(dir), *real);
  return std::move(*real);
}

Result<std::optional<std::string>> LayerEngine::resolve(std::string_view path, Escape escape,
                                                        Missing missing) {
  std::deque<Component> todo;
  push_components(todo, path, false);
  std::string real;
  int symlinks = 0;
  while (!todo.empty()) {
    Component part = std::move(todo.front());
    todo.pop_front();
    if (part.name == "..") {
      if (!real.empty()) {
        size_t slash = real.rfind('/');
        real.resize(slash == std::string::npos ? 0 : slash);
      } else if (escape == Escape::refuse) {
        return fail(Errc::unsafe_path, "a symlink on the way climbs out of the root");
      }
      continue;
    }
    std::string child = join_real(real, part.name);
    ASSIGN_OR_RETURN(TargetNode node, m_target.look(child));
    switch (node.type) {
      case NodeType::directory: real = std::move(child); break;
      case NodeType::symlink: {
        if (++symlinks > k_max_symlinks) return fail_errno(ELOOP, "resolve /" + child);
        bool absolute = node.symlink_target.starts_with('/');
        if (absolute) real.clear();
        push_components(todo, node.symlink_target, absolute || part.from_absolute_link);
        break;
      }
      case NodeType::absent:
        if (missing == Missing::absent) return std::nullopt;
        if (part.from_absolute_link) {
          return fail(Errc::unsafe_path, "an absolute symlink on the way leads to /" + child +
                                             ", which is not in the rootfs");
        }
        TRY(m_target.make_dir(child));
        real = std::move(child);
        break;
      case NodeType::other:
        if (missing == Missing::absent) return std::nullopt;
        return fail_errno(ENOTDIR, "resolve /" + child);
    }
  }
  return real;
}

Result<void> LayerEngine::remove(const std::string& real, NodeType type) {
  if (type == NodeType::directory || type == NodeType::symlink) m_last_parent.reset();
  return m_target.remove(real);
}

// Removes REAL unless this layer placed it; below a directory this layer
// placed or placed something in, only the lower-layer children go.
Result<void> LayerEngine::prune_lower(const std::string& real) {
  ASSIGN_OR_RETURN(TargetNode node, m_target.look(real));
  if (node.type == NodeType::absent) return {};
  if (!m_upper.contains(real)) return remove(real, node.type);
  if (node.type != NodeType::directory) return {};
  ASSIGN_OR_RETURN(std::vector<std::string> names, m_target.list(real));
  for (const std::string& name : names) TRY(prune_lower(join_real(real, name)));
  return {};
}

void LayerEngine::mark_upper(std::string real) {
  while (!real.empty() && m_upper.insert(real).second) {
    size_t slash = real.rfind('/');
    real.resize(slash == std::string::npos ? 0 : slash);
  }
}

}  // namespace cairn
