// Money exact to the öre (SYNC-PROPERTIES.md §6): pushed invoices with rows
// at 25, 12, 6 and 0 % and mixes of them, öre prices and decimal
// quantities; the totals and VAT each provider computes must equal the
// local ones, row by row, and a provider that rounds differently leaves a
// visible difference on the record, never a silent change.
#include "tests/integration/sync_fixture.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace ledgerd;
using namespace ledgerd::test;
using nlohmann::json;

namespace {

struct row_spec {
  /// Quantity in ten-thousandths (1.5 = 15000).
  int64_t quantity_e4;
  /// Unit price excluding VAT, öre.
  int64_t unit_price;
  /// VAT percent (whole).
  int64_t vat_percent;
};

int64_t round_div(int64_t num, int64_t den) {
  return (num + den / 2) / den; // non-negative amounts
}

/// The app's arithmetic: each row's net rounded to the öre, its VAT rounded
/// to the öre, summed.
std::pair<int64_t, int64_t> totals_of(const std::vector<row_spec>& rows) {
  int64_t net = 0;
  int64_t vat = 0;
  for (const auto& r : rows) {
    auto line = round_div(r.quantity_e4 * r.unit_price, 10'000);
    net += line;
    vat += round_div(line * r.vat_percent, 100);
  }
  return {net + vat, vat};
}

std::string decimal(int64_t value, int scale) {
  int64_t unit = 1;
  for (int i = 0; i < scale; ++i)
    unit *= 10;
  auto frac = std::to_string(value % unit);
  return std::to_string(value / unit) + "."
         + std::string(static_cast<size_t>(scale) - frac.size(), '0') + frac;
}

/// One local invoice with `rows`, inserted in one statement as an app
/// would (its totals computed as above).
std::string insert_priced_invoice(sync_fixture& f, const std::string& tenant,
                                  const std::string& customer,
                                  const std::vector<row_spec>& rows) {
  auto [total, vat] = totals_of(rows);
  std::string values;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i > 0)
      values += ", ";
    values += "(" + std::to_string(i + 1) + ", 'Rad " + std::to_string(i + 1)
              + "', " + decimal(rows[i].quantity_e4, 4) + ", "
              + std::to_string(rows[i].unit_price) + ", "
              + std::to_string(rows[i].vat_percent) + ")";
  }
  return f.sql(
    "WITH i AS (INSERT INTO ledger.invoices (tenant, customer_id, "
    "invoice_date, due_date, total, vat) VALUES ('"
    + tenant + "', '" + customer + "', '2026-11-02', '2026-12-02', "
    + std::to_string(total) + ", " + std::to_string(vat)
    + ") RETURNING id), r AS (INSERT INTO ledger.invoice_rows (invoice_id, "
      "line_no, description, quantity, unit_price, vat_percent) SELECT i.id, "
      "v.* FROM i, (VALUES "
    + values + ") v) SELECT id FROM i");
}

/// Realistic invoices: one rate each, and mixes; öre prices, quantities
/// with decimals, a VAT-free row, halves of an öre that must round alike.
const std::vector<std::vector<row_spec>> invoices{
  {{10000, 100000, 25}},
  {{15000, 12345, 12}},
  {{3333, 9999, 6}},
  {{20000, 45050, 0}},
  {{12500, 79990, 25}, {2500, 1990, 12}, {10000, 34900, 6}, {7500, 5000, 0}},
  {{15000, 12345, 25}, {15000, 12345, 12}, {15000, 12345, 6}},
  {{1, 1, 25}, {9999, 1, 12}, {123456, 777, 6}},
  {{100000, 37, 25}, {5000, 18525, 6}},
};

struct provider_fields {
  std::string rows, quantity, price, vat_rate, total, vat;
  /// Rate as the provider writes it, from a whole percent.
  double rate_of(int64_t percent) const {
    return vat_rate == "PercentVat" ? static_cast<double>(percent) / 100.0
                                    : static_cast<double>(percent);
  }
};

const provider_fields fortnox_fields{
  "InvoiceRows", "DeliveredQuantity", "Price", "VAT", "Total", "TotalVAT"};
const provider_fields visma_fields{"Rows",        "Quantity",
                                   "UnitPrice",   "PercentVat",
                                   "TotalAmount", "TotalVatAmount"};

int64_t ore(const json& x) {
  auto v = x.is_string() ? std::stod(x.get<std::string>()) : x.get<double>();
  return std::llround(v * 100.0);
}

int64_t e4(const json& x) {
  auto v = x.is_string() ? std::stod(x.get<std::string>()) : x.get<double>();
  return std::llround(v * 10'000.0);
}

void push_and_compare(sync_fixture& f, const std::string& provider,
                      const std::string& tenant, const provider_fields& p) {
  f.seed(provider, tenant, 0, 0);
  auto customer = insert_customer(f, tenant, "Exakt AB", "e@exakt.se");
  std::vector<std::string> ids;
  for (const auto& rows : invoices)
    ids.push_back(insert_priced_invoice(f, tenant, customer, rows));
  f.settle();
  INFO(f.jobs_summary());
  CHECK(f.count("failed") == 0);
  // A Visma that rounds totals to whole kronor (visma.total_rounding):
  // each total that is not whole differs by the rounding, recorded on the
  // record for a person (see rounding_difference_is_shown), VAT exact.
  bool rounds = provider == "visma" && sim_profile().visma_whole_totals();
  size_t not_whole = 0;
  for (const auto& rows : invoices)
    not_whole += rounds && totals_of(rows).first % 100 != 0 ? 1 : 0;
  CHECK(f.sql("SELECT count(*) FROM ledgerd.conflicts")
        == std::to_string(not_whole));
  for (size_t i = 0; i < ids.size(); ++i) {
    INFO("invoice " << i);
    auto remote_id = f.sql("SELECT remote_id FROM ledgerd.links WHERE "
                           "local_id = '"
                           + ids[i] + "'");
    auto data = f.remote_invoice(provider, tenant, remote_id);
    const auto& rows = invoices[i];
    REQUIRE(data.at(p.rows).size() == rows.size());
    for (size_t r = 0; r < rows.size(); ++r) {
      INFO("row " << r);
      const auto& remote_row = data.at(p.rows).at(r);
      CHECK(e4(remote_row.at(p.quantity)) == rows[r].quantity_e4);
      CHECK(ore(remote_row.at(p.price)) == rows[r].unit_price);
      CHECK(remote_row.at(p.vat_rate).get<double>()
            == Approx(p.rate_of(rows[r].vat_percent)));
      if (provider == "visma")
        CHECK(remote_row.at("IsVatFree") == (rows[r].vat_percent == 0));
    }
    auto [total, vat] = totals_of(rows);
    auto rounded = (total + 50) / 100 * 100; // all totals here are positive
    CHECK(ore(data.at(p.total)) == (rounds ? rounded : total));
    CHECK(ore(data.at(p.vat)) == vat);
    // And locally nothing moved.
    CHECK(f.sql("SELECT total || '/' || vat FROM ledger.invoices WHERE id = '"
                + ids[i] + "'")
          == std::to_string(total) + "/" + std::to_string(vat));
  }
}

/// A provider that rounds the total to whole kronor: the push lands, the
/// difference is a conflict on `total` (local and provider values) for a
/// person, the local total is not overwritten, and VAT agrees.
void rounding_difference_is_shown(sync_fixture& f, const std::string& provider,
                                  const std::string& tenant) {
  f.seed(provider, tenant, 0, 0);
  f.admin("POST", "/sim/faults", {{"round_totals", true}});
  auto customer = insert_customer(f, tenant, "Avrundning AB", "a@r.se");
  auto exact
    = insert_priced_invoice(f, tenant, customer, {{10000, 100000, 25}});
  auto odd = insert_priced_invoice(f, tenant, customer, {{15000, 12345, 12}});
  f.settle();
  INFO(f.jobs_summary());
  CHECK(f.count("failed") == 0);
  // 1,000.00 + 25 % is whole kronor: nothing to record.
  CHECK(f.sql("SELECT count(*) FROM ledgerd.conflicts WHERE local_id = '"
              + exact + "'")
        == "0");
  // 185.18 + 22.22 = 207.40 -> 207: recorded, local kept.
  CHECK(f.sql("SELECT field || ' ' || local_value::text || ' ' || "
              "remote_value::text FROM ledgerd.conflicts WHERE local_id = '"
              + odd + "' AND status = 'open'")
        == "total 20740 20700");
  CHECK(f.sql("SELECT total FROM ledger.invoices WHERE id = '" + odd + "'")
        == "20740");
  CHECK(f.sql("SELECT held FROM ledgerd.links WHERE local_id = '" + odd + "'")
        == "t");
}

} // namespace

TEST_CASE_METHOD(sync_fixture,
                 "Fortnox computes the same totals and VAT as the local "
                 "invoices, row by row",
                 "[sync][money]") {
  push_and_compare(*this, "fortnox", "acme", fortnox_fields);
}

TEST_CASE_METHOD(sync_fixture,
                 "Visma computes the same totals and VAT as the local "
                 "invoices, row by row",
                 "[sync][money]") {
  push_and_compare(*this, "visma", "nordvik", visma_fields);
}

TEST_CASE_METHOD(sync_fixture,
                 "Fortnox rounding a total differently is recorded on the "
                 "record, not taken",
                 "[sync][money]") {
  rounding_difference_is_shown(*this, "fortnox", "acme");
}

TEST_CASE_METHOD(sync_fixture,
                 "Visma rounding a total differently is recorded on the "
                 "record, not taken",
                 "[sync][money]") {
  rounding_difference_is_shown(*this, "visma", "nordvik");
}
