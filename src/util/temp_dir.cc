#include "util/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <vector>

#include "util/sys.h"

namespace cairn {

Result<TempDir> TempDir::create(const std::string& parent, const std::string& prefix) {
  std::string templ = sys::join(parent, prefix + "XXXXXX");
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) return fail_errno(errno, "mkdtemp " + templ);
  return TempDir(std::string(buf.data()));
}

TempDir::~TempDir() {
  if (!m_path.empty()) (void)sys::remove_tree(m_path);
}

std::string TempDir::release() {
  std::string p = std::move(m_path);
  m_path.clear();
  return p;
}

}  // namespace cairn
