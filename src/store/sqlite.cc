#include "store/sqlite.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace cairn::sqlite {
namespace {

// The error code that says what went wrong: a full disk is ENOSPC, not a
// corrupt store.
std::error_code code_of(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL: return {ENOSPC, std::generic_category()};
    case SQLITE_IOERR: return {EIO, std::generic_category()};
    case SQLITE_NOMEM: return {ENOMEM, std::generic_category()};
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH: return {EACCES, std::generic_category()};
    case SQLITE_CANTOPEN: return {ENOENT, std::generic_category()};
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return make_error_code(Errc::busy);
    default: return make_error_code(Errc::corrupt_store);
  }
}

std::unexpected<Error> sqlite_error(sqlite3* db, std::string_view what) {
  std::string context = "sqlite: ";
  context += what;
  context += ": ";
  context += db ? sqlite3_errmsg(db) : "out of memory";
  return std::unexpected(
      Error(code_of(db ? sqlite3_extended_errcode(db) : SQLITE_NOMEM), std::move(context)));
}

}  // namespace

Result<Db> Db::open(const std::string& path) {
  // A new database is made here, mode 0600 (its journal takes the same): it names the images
  // and holds their configs, which are no one else's business. SQLite opens the empty file as a
  // new database.
  int created = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (created >= 0) {
    ::close(created);
  } else if (errno != EEXIST) {
    return fail_errno(errno, "create " + path);
  }
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) return sqlite_error(raw, "open " + path);
  sqlite3_busy_timeout(raw, 60000);
  TRY(db.exec("PRAGMA journal_mode=TRUNCATE; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  return db;
}

Db::Db(Db&& other) noexcept : m_db(std::exchange(other.m_db, nullptr)) {}

Db& Db::operator=(Db&& other) noexcept {
  if (this != &other) {
    if (m_db) sqlite3_close_v2(m_db);
    m_db = std::exchange(other.m_db, nullptr);
  }
  return *this;
}

Db::~Db() {
  if (m_db) sqlite3_close_v2(m_db);
}

Result<void> Db::exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  if (int rc = sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &message); rc != SQLITE_OK) {
    std::string detail = message ? message : "unknown error";
    sqlite3_free(message);
    return std::unexpected(Error(code_of(rc), "sqlite: " + detail));
  }
  return {};
}

Result<Statement> Db::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(m_db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return sqlite_error(m_db, "prepare");
  }
  return Statement(m_db, stmt);
}

Statement::Statement(Statement&& other) noexcept
    : m_db(other.m_db), m_stmt(std::exchange(other.m_stmt, nullptr)) {}

Statement::~Statement() {
  sqlite3_finalize(m_stmt);
}

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(m_stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(m_stmt, index, value);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(m_stmt, index);
  return *this;
}

Statement& Statement::bind_optional(int index, const std::optional<std::string>& text) {
  return text ? bind(index, std::string_view(*text)) : bind_null(index);
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(m_db, "step");
}

Result<void> Statement::run() {
  auto stepped = step();
  reset();
  if (!stepped) return fail(std::move(stepped).error());
  return {};
}

void Statement::reset() {
  sqlite3_reset(m_stmt);
}

std::string Statement::text(int column) const {
  const unsigned char* p = sqlite3_column_text(m_stmt, column);
  int n = sqlite3_column_bytes(m_stmt, column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

std::optional<std::string> Statement::optional_text(int column) const {
  if (sqlite3_column_type(m_stmt, column) == SQLITE_NULL) return std::nullopt;
  return text(column);
}

std::int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(m_stmt, column);
}

Result<Transaction> Transaction::begin(Db& db) {
  TRY(db.exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (m_db) (void)m_db->exec("ROLLBACK");
}

Result<void> Transaction::commit() {
  TRY(m_db->exec("COMMIT"));
  m_db = nullptr;
  return {};
}

}  // namespace cairn::sqlite
