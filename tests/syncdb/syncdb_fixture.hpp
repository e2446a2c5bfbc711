// A fresh, migrated database per test and helpers that write ledger.* the
// way the company's app does (plain SQL, captured into the outbox).
#pragma once

#include "adapters/pg/connection.hpp"
#include "adapters/pg/link_table.hpp"
#include "tests/support/pg_fixture.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace ledgerd::test {

struct syncdb_fixture {
  test_database db;
  std::shared_ptr<pg::pool> pool;
  pg::connection conn;

  syncdb_fixture()
    : pool(migrated_pool(db, 1))
    , conn(db.conninfo()) {}

  int64_t count(const std::string& sql) const {
    return std::stoll(db.query_value(sql));
  }

  std::string value(const std::string& sql) const {
    return db.query_value(sql);
  }

  int64_t outbox_rows() const {
    return count("SELECT count(*) FROM ledgerd.outbox");
  }

  /// An app insert of a customer (captured); returns its id.
  std::string app_customer(const std::string& tenant, const std::string& name,
                           const std::string& number = "") {
    return conn
      .exec("test.app_customer",
            "INSERT INTO ledger.customers (tenant, name, customer_number)"
            " VALUES ($1, $2, $3) RETURNING id::text",
            tenant, name, number.empty() ? pg::param{} : pg::param{number})
      .get<std::string>(0, 0);
  }

  /// An app insert of an invoice without rows (captured); returns its id.
  std::string app_invoice(const std::string& tenant,
                          const std::string& customer_id) {
    return conn
      .exec("test.app_invoice",
            "INSERT INTO ledger.invoices (tenant, customer_id, invoice_date)"
            " VALUES ($1, $2::uuid, '2024-03-01') RETURNING id::text",
            tenant, customer_id)
      .get<std::string>(0, 0);
  }

  /// Links `local_id` to `remote_id` (status linked, no base).
  void link(const pg::link_key& key, const std::string& local_id,
            const std::string& remote_id) {
    pg::link_row row;
    row.local_id = local_id;
    row.remote_id = remote_id;
    pg::save_link(conn, key, row);
  }
};

inline const pg::link_key customers_fx{"acme", "fortnox", "customer"};
inline const pg::link_key invoices_fx{"acme", "fortnox", "invoice"};

} // namespace ledgerd::test
