#include "support/entry_fixtures.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

namespace cairn::testing {
namespace {

FixtureEntry make(std::string path, EntryType type, std::uint32_t mode) {
  FixtureEntry f;
  f.entry.path = std::move(path);
  f.entry.type = type;
  f.entry.mode = mode;
  f.entry.mtime_sec = 1700000000;
  return f;
}

std::string octal(std::uint32_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", mode);
  return buf;
}

std::vector<std::string> sorted_xattrs(const std::string& path) {
  std::vector<char> names(65536);
  ssize_t n = ::llistxattr(path.c_str(), names.data(), names.size());
  std::vector<std::string> out;
  for (ssize_t pos = 0; n > 0 && pos < n;) {
    std::string name(names.data() + pos);
    pos += static_cast<ssize_t>(name.size()) + 1;
    if (name == "security.selinux") continue;
    std::vector<char> value(65536);
    ssize_t v = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    out.push_back(" x:" + name + "=" +
                  std::string(value.data(), v < 0 ? 0 : static_cast<size_t>(v)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

void walk(const std::string& root, const std::string& rel, std::vector<std::string>* out) {
  std::string dir_path = rel.empty() ? root : root + "/" + rel;
  DIR* d = ::opendir(dir_path.c_str());
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (const dirent* ent = ::readdir(d)) {
    std::string n = ent->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  for (const std::string& n : names) {
    std::string child = rel.empty() ? n : rel + "/" + n;
    out->push_back(child);
    struct stat st {};
    if (::lstat((root + "/" + child).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      walk(root, child, out);
    }
  }
}

std::string describe_content(const std::string& path, const struct stat& st) {
  if (st.st_size > 64) return " size=" + std::to_string(st.st_size);
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return " =\"" + ss.str() + "\"";
}

std::string describe(const std::string& path, const struct stat& st) {
  std::string line;
  switch (st.st_mode & S_IFMT) {
    case S_IFREG: line = " f"; break;
    case S_IFDIR: line = " d"; break;
    case S_IFLNK: line = " l"; break;
    case S_IFCHR: line = " c"; break;
    case S_IFBLK: line = " b"; break;
    case S_IFIFO: line = " p"; break;
    default: line = " s"; break;
  }
  line += " " + octal(st.st_mode & 07777) + " " + std::to_string(st.st_uid) + ":" +
          std::to_string(st.st_gid);
  if (S_ISREG(st.st_mode)) line += describe_content(path, st);
  if (S_ISLNK(st.st_mode)) {
    std::vector<char> buf(8192);
    ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size());
    line += " ->" + std::string(buf.data(), n < 0 ? 0 : static_cast<size_t>(n));
  }
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    line += " dev=" + std::to_string(major(st.st_rdev)) + "," + std::to_string(minor(st.st_rdev));
  }
  for (const std::string& x : sorted_xattrs(path)) line += x;
  return line;
}

}  // namespace

FixtureEntry& FixtureEntry::owner(std::uint64_t uid, std::uint64_t gid) {
  entry.uid = uid;
  entry.gid = gid;
  return *this;
}

FixtureEntry& FixtureEntry::xattr(std::string name, std::string value) {
  entry.xattrs.push_back({std::move(name), std::move(value)});
  return *this;
}

FixtureEntry& FixtureEntry::mtime(std::int64_t sec, std::uint32_t nsec) {
  entry.mtime_sec = sec;
  entry.mtime_nsec = nsec;
  return *this;
}

FixtureEntry file(std::string path, std::string content, std::uint32_t mode) {
  FixtureEntry f = make(std::move(path), EntryType::regular, mode);
  f.entry.size = content.size();
  if (!content.empty()) f.blocks.emplace_back(0, std::move(content));
  return f;
}

FixtureEntry sparse_file(std::string path, std::uint64_t size,
                         std::vector<std::pair<std::uint64_t, std::string>> blocks) {
  FixtureEntry f = make(std::move(path), EntryType::regular, 0644);
  f.entry.size = size;
  f.blocks = std::move(blocks);
  return f;
}

FixtureEntry dir(std::string path, std::uint32_t mode) {
  return make(std::move(path), EntryType::directory, mode);
}

FixtureEntry symlink(std::string path, std::string target) {
  FixtureEntry f = make(std::move(path), EntryType::symlink, 0777);
  f.entry.link_target = std::move(target);
  return f;
}

FixtureEntry hardlink(std::string path, std::string target) {
  FixtureEntry f = make(std::move(path), EntryType::hardlink, 0644);
  f.entry.link_target = std::move(target);
  return f;
}

FixtureEntry fifo(std::string path, std::uint32_t mode) {
  return make(std::move(path), EntryType::fifo, mode);
}

FixtureEntry device(std::string path, EntryType type, std::uint32_t major_num,
                    std::uint32_t minor_num) {
  FixtureEntry f = make(std::move(path), type, 0600);
  f.entry.dev_major = major_num;
  f.entry.dev_minor = minor_num;
  return f;
}

FixtureEntry marker(std::string path) {
  return make(std::move(path), EntryType::regular, 0644);
}

Result<std::optional<DataBlock>> MemoryEntryData::next_block() {
  if (m_next >= m_entry.blocks.size()) return std::optional<DataBlock>();
  const auto& [offset, bytes] = m_entry.blocks[m_next++];
  return DataBlock{offset, std::as_bytes(std::span(bytes.data(), bytes.size()))};
}

Result<void> apply_layer(LayerSink& sink, const Layer& layer) {
  for (const FixtureEntry& e : layer) {
    MemoryEntryData data(e);
    TRY(sink.add(e.entry, data));
  }
  return sink.finish();
}

std::string list_tree(const std::string& root) {
  std::vector<std::string> paths;
  walk(root, "", &paths);
  std::sort(paths.begin(), paths.end());
  std::map<std::pair<dev_t, ino_t>, std::string> first_of_inode;
  std::string out;
  for (const std::string& p : paths) {
    std::string full = root + "/" + p;
    struct stat st {};
    if (::lstat(full.c_str(), &st) != 0) continue;
    out += p + describe(full, st);
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto [it, inserted] = first_of_inode.try_emplace({st.st_dev, st.st_ino}, p);
      out += " hl=" + it->second;
    }
    out += "\n";
  }
  return out;
}

}  // namespace cairn::testing
