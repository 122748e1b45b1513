// Metadata::integrity_problems: SQLite's own checks of cairn.db.
#include "store/metadata.h"

namespace cairn {

Result<std::vector<std::string>> Metadata::integrity_problems() {
  std::vector<std::string> problems;
  ASSIGN_OR_RETURN(auto integrity, m_db.prepare("PRAGMA integrity_check"));
  for (;;) {
    ASSIGN_OR_RETURN(bool row, integrity.step());
    if (!row) break;
    if (integrity.text(0) != "ok") problems.push_back("cairn.db: " + integrity.text(0));
  }
  // Rows: table, rowid, referenced table, foreign key index.
  ASSIGN_OR_RETURN(auto foreign, m_db.prepare("PRAGMA foreign_key_check"));
  for (;;) {
    ASSIGN_OR_RETURN(bool row, foreign.step());
    if (!row) break;
    problems.push_back("cairn.db: a row of " + foreign.text(0) + " (rowid " + foreign.text(1) +
                       ") names a missing row of " + foreign.text(2));
  }
  return problems;
}

}  // namespace cairn
