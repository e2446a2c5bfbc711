#include "adapters/pg/local_records.hpp"

#include "adapters/pg/sync_sql.hpp"
#include "state/canonical.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace ledgerd::pg {

namespace {

using sync_sql::micros;

/// 8-4-4-4-12 hex digits: anything else cannot be a ledger id.
bool is_uuid(const std::string& x) {
  if (x.size() != 36)
    return false;
  for (std::size_t i = 0; i < x.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    char c = x[i];
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
               || (c >= 'A' && c <= 'F');
    if (dash ? c != '-' : !hex)
      return false;
  }
  return true;
}

const std::string& table_of(const std::string& entity) {
  static const std::string customers = "ledger.customers";
  static const std::string invoices = "ledger.invoices";
  sync_sql::check_entity(entity);
  return entity == "customer" ? customers : invoices;
}

state::opt_string opt_text(const result& res, int row, int col) {
  return res.get_optional<std::string>(row, col);
}

// -- echo suppression ---------------------------------------------------------

/// Turns ledgerd.applying_remote on for the current transaction; restore()
/// puts back what was there before (on success paths: after an error the
/// transaction is rolled back anyway).
class applying_remote {
public:
  explicit applying_remote(connection& conn)
    : conn_(conn) {
    auto res = conn_.exec(
      "local.applying_remote.get",
      "SELECT coalesce(current_setting('ledgerd.applying_remote', true), '')");
    previous_ = res.get<std::string>(0, 0);
    conn_.exec("local.applying_remote.on",
               "SELECT set_config('ledgerd.applying_remote', 'on', true)");
  }

  void restore() {
    if (previous_ != "on")
      conn_.exec("local.applying_remote.restore",
                 "SELECT set_config('ledgerd.applying_remote', $1, true)",
                 previous_);
  }

private:
  connection& conn_;
  std::string previous_;
};

// -- reading ------------------------------------------------------------------

local_record read_customer(const result& res) {
  state::customer c;
  c.customer_number = opt_text(res, 0, 1);
  c.name = res.get<std::string>(0, 2);
  c.org_number = opt_text(res, 0, 3);
  c.vat_number = opt_text(res, 0, 4);
  c.email = opt_text(res, 0, 5);
  c.phone = opt_text(res, 0, 6);
  c.address1 = opt_text(res, 0, 7);
  c.address2 = opt_text(res, 0, 8);
  c.postal_code = opt_text(res, 0, 9);
  c.city = opt_text(res, 0, 10);
  c.country_code = opt_text(res, 0, 11);
  c.currency = res.get<std::string>(0, 12);
  c.active = res.get<bool>(0, 13);
  c.remote_id = opt_text(res, 0, 16);
  local_record out;
  out.local_id = res.get<std::string>(0, 0);
  c.external_ref = out.local_id;
  out.canonical = state::to_json(c);
  out.deleted = res.get<bool>(0, 14);
  out.changed_at = sync_sql::from_micros(res.get<int64_t>(0, 15));
  return out;
}

std::optional<local_record> read_customer(connection& conn, const link_key& key,
                                          const std::string& local_id) {
  auto res = conn.exec(
    "local.read_customer",
    "SELECT c.id::text, c.customer_number, c.name, c.org_number,"
    " c.vat_number, c.email, c.phone, c.address1, c.address2, c.postal_code,"
    " c.city, c.country_code, c.currency, c.active, c.deleted_at IS NOT NULL, "
      + micros("c.updated_at")
      + ", l.remote_id FROM ledger.customers c"
        " LEFT JOIN ledgerd.links l ON l.tenant = c.tenant"
        " AND l.provider = $2 AND l.entity = 'customer'"
        " AND l.local_id = c.id::text"
        " WHERE c.tenant = $1 AND c.id = $3::uuid",
    key.tenant, key.provider, local_id);
  if (res.empty())
    return std::nullopt;
  return read_customer(res);
}

/// A stored row: [line_no, article, description, quantity, unit,
/// unit_price, vat_percent] with the decimals as text.
state::invoice_row row_from_db(const json& r) {
  auto text = [&](std::size_t i) -> state::opt_string {
    return r.at(i).is_null() ? state::opt_string{}
                             : state::opt_string{r.at(i).get<std::string>()};
  };
  auto decimal = [&](std::size_t i, int scale) {
    auto value = state::parse_decimal(r.at(i).get<std::string>(), scale);
    if (!value)
      throw std::runtime_error("invoice row: unreadable decimal "
                               + r.at(i).dump());
    return *value;
  };
  state::invoice_row x;
  x.line_no = r.at(0).get<int32_t>();
  x.article = text(1);
  x.description = text(2);
  x.quantity_e4 = decimal(3, 4);
  x.unit = text(4);
  x.unit_price = r.at(5).get<int64_t>();
  x.vat_percent_e2 = static_cast<int32_t>(decimal(6, 2));
  return x;
}

/// jsonb array of an invoice's rows (ordered by line_no) in the format of
/// row_from_db; `id` is the SQL expression of the invoice id.
std::string rows_json(const std::string& id) {
  return "(SELECT coalesce(jsonb_agg(jsonb_build_array(r.line_no, r.article,"
         " r.description, r.quantity::text, r.unit, r.unit_price,"
         " r.vat_percent::text) ORDER BY r.line_no), '[]'::jsonb)::text"
         " FROM ledger.invoice_rows r WHERE r.invoice_id = "
         + id + ")";
}

std::vector<state::invoice_row> rows_from_db(std::string_view text) {
  std::vector<state::invoice_row> out;
  for (const auto& r : json::parse(text))
    out.push_back(row_from_db(r));
  return out;
}

std::optional<local_record> read_invoice(connection& conn, const link_key& key,
                                         const std::string& local_id) {
  // One statement: header and rows come from the same snapshot.
  auto res = conn.exec(
    "local.read_invoice",
    "SELECT i.id::text, i.invoice_number,"
    " to_char(i.invoice_date, 'YYYY-MM-DD'), to_char(i.due_date, 'YYYY-MM-DD'),"
    " i.currency, i.total, i.vat, i.status, i.your_reference, i.our_reference,"
    " i.deleted_at IS NOT NULL, "
      + micros("GREATEST(i.updated_at, (SELECT max(r.updated_at)"
               " FROM ledger.invoice_rows r WHERE r.invoice_id = i.id))")
      + ", l.remote_id, i.customer_id::text, cl.remote_id, " + rows_json("i.id")
      + " FROM ledger.invoices i"
        " LEFT JOIN ledgerd.links l ON l.tenant = i.tenant"
        " AND l.provider = $2 AND l.entity = 'invoice'"
        " AND l.local_id = i.id::text"
        " LEFT JOIN ledgerd.links cl ON cl.tenant = i.tenant"
        " AND cl.provider = $2 AND cl.entity = 'customer'"
        " AND cl.local_id = i.customer_id::text"
        " WHERE i.tenant = $1 AND i.id = $3::uuid",
    key.tenant, key.provider, local_id);
  if (res.empty())
    return std::nullopt;
  state::invoice x;
  x.invoice_number = opt_text(res, 0, 1);
  x.invoice_date = res.get<std::string>(0, 2);
  x.due_date = opt_text(res, 0, 3);
  x.currency = res.get<std::string>(0, 4);
  x.total = res.get<int64_t>(0, 5);
  x.vat = res.get<int64_t>(0, 6);
  x.status = res.get<std::string>(0, 7);
  x.your_reference = opt_text(res, 0, 8);
  x.our_reference = opt_text(res, 0, 9);
  x.remote_id = opt_text(res, 0, 12);
  x.customer_remote_id = opt_text(res, 0, 14).value_or("");
  x.rows = rows_from_db(res.value(0, 15));
  local_record out;
  out.local_id = res.get<std::string>(0, 0);
  x.external_ref = out.local_id;
  out.canonical = state::to_json(x);
  out.deleted = res.get<bool>(0, 10);
  out.changed_at = sync_sql::from_micros(res.get<int64_t>(0, 11));
  out.customer_local_id = res.get<std::string>(0, 13);
  return out;
}

// -- writing ------------------------------------------------------------------

/// A mapped column with its SQL type and the value to write.
struct column {
  std::string name;
  std::string type;
  param value;
};

/// INSERT of `cols` (+ tenant) into `table`; returns the new id.
std::string insert_record(connection& conn, const std::string& label,
                          const std::string& table, const std::string& tenant,
                          const std::vector<column>& cols) {
  std::string names = "tenant", values = "$1";
  std::vector<param> params{tenant};
  for (const auto& c : cols) {
    params.push_back(c.value);
    names += ", " + c.name;
    values += ", $" + std::to_string(params.size()) + "::" + c.type;
  }
  auto res
    = conn.exec_params(label,
                       "INSERT INTO " + table + " (" + names + ") VALUES ("
                         + values + ") RETURNING id::text",
                       params);
  return res.get<std::string>(0, 0);
}

/// UPDATE of `cols` of record `id`, written only when a value differs (or
/// the record is undeleted), so a no-op write leaves updated_at alone.
void update_record(connection& conn, const std::string& label,
                   const std::string& table, const std::string& tenant,
                   const std::string& id, const std::vector<column>& cols,
                   bool undelete) {
  std::vector<param> params{tenant, id};
  std::string sets, olds, news;
  for (const auto& c : cols) {
    params.push_back(c.value);
    auto placeholder = "$" + std::to_string(params.size()) + "::" + c.type;
    if (!sets.empty()) {
      sets += ", ";
      olds += ", ";
      news += ", ";
    }
    sets += c.name + " = " + placeholder;
    olds += c.name;
    news += placeholder;
  }
  std::string changed = "ROW(" + olds + ") IS DISTINCT FROM ROW(" + news + ")";
  if (undelete) {
    sets += ", deleted_at = NULL";
    changed += " OR deleted_at IS NOT NULL";
  }
  conn.exec_params(label,
                   "UPDATE " + table + " SET " + sets
                     + " WHERE tenant = $1 AND id = $2::uuid AND (" + changed
                     + ")",
                   params);
}

/// Locks record `id` of `table` in `tenant`; throws when there is none.
void lock_existing(connection& conn, const std::string& table,
                   const std::string& entity, const std::string& tenant,
                   const std::string& id) {
  if (!is_uuid(id)
      || conn
           .exec("local.lock",
                 "SELECT 1 FROM " + table
                   + " WHERE tenant = $1 AND id = $2::uuid FOR UPDATE",
                 tenant, id)
           .empty())
    throw std::invalid_argument(entity + " " + id + " does not exist in tenant "
                                + tenant);
}

std::vector<column> customer_columns(const state::customer& c) {
  return {{"customer_number", "text", c.customer_number},
          {"name", "text", c.name},
          {"org_number", "text", c.org_number},
          {"vat_number", "text", c.vat_number},
          {"email", "text", c.email},
          {"phone", "text", c.phone},
          {"address1", "text", c.address1},
          {"address2", "text", c.address2},
          {"postal_code", "text", c.postal_code},
          {"city", "text", c.city},
          {"country_code", "text", c.country_code},
          {"currency", "text", c.currency},
          {"active", "boolean", to_param(c.active)}};
}

std::vector<column> invoice_columns(const state::invoice& x,
                                    const std::string& customer_local_id) {
  return {{"customer_id", "uuid", customer_local_id},
          {"invoice_number", "text", x.invoice_number},
          {"invoice_date", "date", x.invoice_date},
          {"due_date", "date", x.due_date},
          {"currency", "text", x.currency},
          {"total", "bigint", to_param(x.total)},
          {"vat", "bigint", to_param(x.vat)},
          {"status", "text", x.status},
          {"your_reference", "text", x.your_reference},
          {"our_reference", "text", x.our_reference}};
}

std::string write_customer(connection& conn, const link_key& key,
                           const json& canonical, const std::string& local_id,
                           bool undelete) {
  std::string error;
  auto c = state::customer_from_json(canonical, error);
  if (!c)
    throw std::invalid_argument("customer: " + error);
  auto cols = customer_columns(*c);
  if (local_id.empty())
    return insert_record(conn, "local.insert_customer", "ledger.customers",
                         key.tenant, cols);
  lock_existing(conn, "ledger.customers", "customer", key.tenant, local_id);
  update_record(conn, "local.update_customer", "ledger.customers", key.tenant,
                local_id, cols, undelete);
  return local_id;
}

/// Replaces the rows of invoice `id` with `rows` unless they are equal.
void write_rows(connection& conn, const std::string& id,
                std::vector<state::invoice_row> rows) {
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.line_no < b.line_no;
  });
  auto stored
    = conn.exec("local.read_rows", "SELECT " + rows_json("$1::uuid"), id);
  if (rows_from_db(stored.value(0, 0)) == rows)
    return;
  conn.exec("local.delete_rows",
            "DELETE FROM ledger.invoice_rows WHERE invoice_id = $1::uuid", id);
  if (rows.empty())
    return;
  auto doc = json::array();
  for (const auto& row : rows)
    doc.push_back(state::to_json(row));
  conn.exec("local.insert_rows",
            "INSERT INTO ledger.invoice_rows (invoice_id, line_no, article,"
            " description, quantity, unit, unit_price, vat_percent)"
            " SELECT $1::uuid, r.line_no, r.article, r.description,"
            " r.quantity, r.unit, r.unit_price, r.vat_percent"
            " FROM jsonb_to_recordset($2::jsonb) AS r(line_no integer,"
            " article text, description text, quantity numeric, unit text,"
            " unit_price bigint, vat_percent numeric)",
            id, doc.dump());
}

std::string write_invoice(connection& conn, const link_key& key,
                          const json& canonical, const std::string& local_id,
                          bool undelete) {
  std::string error;
  auto x = state::invoice_from_json(canonical, error);
  if (!x)
    throw std::invalid_argument("invoice: " + error);
  std::optional<std::string> customer;
  if (!x->customer_remote_id.empty()) {
    auto res = conn.exec("local.invoice_customer",
                         "SELECT local_id FROM ledgerd.links WHERE tenant = $1"
                         " AND provider = $2 AND entity = 'customer'"
                         " AND remote_id = $3",
                         key.tenant, key.provider, x->customer_remote_id);
    if (!res.empty())
      customer = res.get<std::string>(0, 0);
  }
  if (!customer)
    throw unlinked_customer(x->customer_remote_id);
  auto cols = invoice_columns(*x, *customer);
  std::string id = local_id;
  if (id.empty()) {
    id = insert_record(conn, "local.insert_invoice", "ledger.invoices",
                       key.tenant, cols);
  } else {
    lock_existing(conn, "ledger.invoices", "invoice", key.tenant, id);
    update_record(conn, "local.update_invoice", "ledger.invoices", key.tenant,
                  id, cols, undelete);
  }
  write_rows(conn, id, std::move(x->rows));
  return id;
}

} // namespace

unlinked_customer::unlinked_customer(std::string customer_remote_id)
  : std::runtime_error("the invoice's customer \"" + customer_remote_id
                       + "\" is not linked: pull it first")
  , remote_id(std::move(customer_remote_id)) {}

std::optional<local_record> read_local(connection& conn, const link_key& key,
                                       const std::string& local_id) {
  sync_sql::check_entity(key.entity);
  if (!is_uuid(local_id))
    return std::nullopt;
  return key.entity == "customer" ? read_customer(conn, key, local_id)
                                  : read_invoice(conn, key, local_id);
}

std::string write_local(connection& conn, const link_key& key,
                        const json& canonical, const std::string& local_id,
                        bool undelete) {
  sync_sql::check_entity(key.entity);
  return sync_sql::in_transaction(conn, [&] {
    applying_remote flag{conn};
    auto id = key.entity == "customer"
                ? write_customer(conn, key, canonical, local_id, undelete)
                : write_invoice(conn, key, canonical, local_id, undelete);
    flag.restore();
    return id;
  });
}

bool customer_in_use(connection& conn, const std::string& tenant,
                     const std::string& local_id) {
  if (!is_uuid(local_id))
    return false;
  return conn
    .exec("local.customer_in_use",
          "SELECT EXISTS (SELECT 1 FROM ledger.invoices WHERE tenant = $1"
          " AND customer_id = $2::uuid AND deleted_at IS NULL)",
          tenant, local_id)
    .get<bool>(0, 0);
}

void soft_delete_local(connection& conn, const std::string& tenant,
                       const std::string& entity, const std::string& local_id) {
  const auto& table = table_of(entity);
  if (!is_uuid(local_id))
    return;
  sync_sql::in_transaction(conn, [&] {
    applying_remote flag{conn};
    conn.exec("local.soft_delete",
              "UPDATE " + table
                + " SET deleted_at = now() WHERE tenant = $1"
                  " AND id = $2::uuid AND deleted_at IS NULL",
              tenant, local_id);
    flag.restore();
  });
}

} // namespace ledgerd::pg
