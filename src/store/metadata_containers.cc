// Metadata's containers table: a container's name, its image and when it
// was made.
#include <ctime>

#include "store/metadata.h"

namespace cairn {

Result<void> Metadata::add_container(const ContainerRecord& container) {
  ASSIGN_OR_RETURN(auto txn, sqlite::Transaction::begin(m_db));
  ASSIGN_OR_RETURN(auto existing, find_container(container.name));
  if (existing) return fail(Errc::already_exists, "container \"" + container.name + "\"");
  ASSIGN_OR_RETURN(auto stmt, m_db.prepare("INSERT INTO containers VALUES(?, ?, ?)"));
  stmt.bind(1, container.name).bind(2, container.image_id.str());
  stmt.bind(3,
            container.created ? container.created : static_cast<std::int64_t>(std::time(nullptr)));
  TRY(stmt.run());
  return txn.commit();
}

Result<std::optional<ContainerRecord>> Metadata::find_container(const std::string& name) {
  ASSIGN_OR_RETURN(auto stmt,
                   m_db.prepare("SELECT image_id, created FROM containers WHERE name = ?"));
  stmt.bind(1, name);
  ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return std::optional<ContainerRecord>();
  ASSIGN_OR_RETURN(Digest image, Digest::parse(stmt.text(0)));
  return std::optional<ContainerRecord>(ContainerRecord{name, std::move(image), stmt.integer(1)});
}

Result<std::vector<ContainerRecord>> Metadata::list_containers() {
  ASSIGN_OR_RETURN(
      auto stmt,
      m_db.prepare("SELECT name, image_id, created FROM containers ORDER BY created, name"));
  std::vector<ContainerRecord> containers;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) return containers;
    ASSIGN_OR_RETURN(Digest image, Digest::parse(stmt.text(1)));
    containers.push_back(ContainerRecord{stmt.text(0), std::move(image), stmt.integer(2)});
  }
}

Result<void> Metadata::remove_container(const std::string& name) {
  ASSIGN_OR_RETURN(auto stmt, m_db.prepare("DELETE FROM containers WHERE name = ?"));
  return stmt.bind(1, name).run();
}

}  // namespace cairn
