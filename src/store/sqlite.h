// A small RAII layer over SQLite: a connection and prepared statements whose
// errors come back as Result values carrying sqlite's message.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/error.h"

namespace cairn::sqlite {

class Statement;

class Db {
 public:
  // Opens (creating, mode 0600) the database file, with a rollback journal truncated
  // after each commit (doc/store-format.md says why not WAL), foreign keys on
  // and a busy timeout, so that concurrent cairn processes wait instead of
  // failing.
  static Result<Db> open(const std::string& path);
  Db(Db&& other) noexcept;
  Db& operator=(Db&& other) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  // Runs one or more statements without results.
  Result<void> exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  sqlite3* handle() const { return m_db; }
  std::int64_t changes() const { return sqlite3_changes64(m_db); }

 private:
  explicit Db(sqlite3* db) : m_db(db) {}
  sqlite3* m_db = nullptr;
};

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in SQLite.
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind_null(int index);
  Statement& bind_optional(int index, const std::optional<std::string>& text);

  // Advances to the next row: true if there is one.
  Result<bool> step();
  // Runs a statement that returns no rows, then resets it for reuse.
  Result<void> run();
  // Makes the statement ready to run again (bindings are kept).
  void reset();

  std::string text(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::int64_t integer(int column) const;

 private:
  friend class Db;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : m_db(db), m_stmt(stmt) {}
  sqlite3* m_db;
  sqlite3_stmt* m_stmt;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit().
class Transaction {
 public:
  static Result<Transaction> begin(Db& db);
  Transaction(Transaction&& other) noexcept : m_db(other.m_db) { other.m_db = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Result<void> commit();

 private:
  explicit Transaction(Db* db) : m_db(db) {}
  Db* m_db;
};

}  // namespace cairn::sqlite
