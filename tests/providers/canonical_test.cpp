#include "state/canonical.hpp"

#include <catch2/catch.hpp>

#include <limits>

using namespace ledgerd::state;
using nlohmann::json;

TEST_CASE("parse_decimal reads plain, signed and Swedish forms") {
  CHECK(parse_decimal("1250.5", 2) == 125050);
  CHECK(parse_decimal("1250,5", 2) == 125050);
  CHECK(parse_decimal("-3", 2) == -300);
  CHECK(parse_decimal("+3", 0) == 3);
  CHECK(parse_decimal("1 250,50", 2) == 125050);
  CHECK(parse_decimal("1 250 000,00", 2) == 125000000);
  // No-break and narrow no-break spaces group thousands too.
  CHECK(parse_decimal("1\xC2\xA0"
                      "250,50",
                      2)
        == 125050);
  CHECK(parse_decimal("1\xE2\x80\xAF"
                      "250",
                      0)
        == 1250);
  CHECK(parse_decimal("  7  ", 0) == 7);
  CHECK(parse_decimal("0", 4) == 0);
  CHECK(parse_decimal("0.0001", 4) == 1);
  CHECK(parse_decimal("007.50", 2) == 750);
}

TEST_CASE("parse_decimal rounds half away from zero beyond the scale") {
  CHECK(parse_decimal("1.005", 2) == 101);
  CHECK(parse_decimal("1.004999", 2) == 100);
  CHECK(parse_decimal("-1.005", 2) == -101);
  CHECK(parse_decimal("-1.0049", 2) == -100);
  CHECK(parse_decimal("0.5", 0) == 1);
  CHECK(parse_decimal("-0.5", 0) == -1);
  CHECK(parse_decimal("0.00004", 4) == 0);
  CHECK(parse_decimal("0.00005", 4) == 1);
  CHECK(parse_decimal("9.99999", 2) == 1000);
}

TEST_CASE("parse_decimal rejects what is not a number") {
  for (auto x : {"",         " ",     "-",      "+",      ".",        ".5",
                 "5.",       "1e3",   "1E3",    "abc",    "1.2.3",    "1,2,3",
                 "1.250,50", "12 50", "1 2500", "1  250", "1 250 00", "--1",
                 "1-",       "0x10",  "NaN",    "inf",    "1,"})
    CHECK_FALSE(parse_decimal(x, 2).has_value());
  CHECK(parse_decimal("1 ", 2) == 100); // trailing blanks are trimmed
}

TEST_CASE("parse_decimal detects overflow and bad scales") {
  CHECK(parse_decimal("92233720368547758.07", 2)
        == std::numeric_limits<int64_t>::max());
  CHECK_FALSE(parse_decimal("92233720368547758.08", 2).has_value());
  CHECK_FALSE(parse_decimal("99999999999999999999999", 0).has_value());
  CHECK(parse_decimal("0000000000000000000000000001", 0) == 1);
  CHECK_FALSE(parse_decimal("1", -1).has_value());
  CHECK_FALSE(parse_decimal("1", 19).has_value());
}

TEST_CASE("decimal_from_json takes numbers by their shortest text") {
  CHECK(decimal_from_json(json(1250.5), 2) == 125050);
  CHECK(decimal_from_json(json(1.12), 2) == 112);
  // 0.1 + 0.2 as a double is 0.30000000000000004: exact text, then rounded.
  CHECK(decimal_from_json(json(0.1 + 0.2), 2) == 30);
  CHECK(decimal_from_json(json(25), 2) == 2500);
  CHECK(decimal_from_json(json(-3), 2) == -300);
  CHECK(decimal_from_json(json(1e21), 0) == std::nullopt);
  CHECK(decimal_from_json(json(1e-5), 4) == 0);
  CHECK(decimal_from_json(json(5e-5), 4) == 1);
  CHECK(decimal_from_json(json(1.5e3), 0) == 1500);
  CHECK(decimal_from_json(json("1 250,50"), 2) == 125050);
  CHECK(decimal_from_json(json("1e3"), 0) == std::nullopt);
  CHECK(decimal_from_json(json(nullptr), 2) == std::nullopt);
  CHECK(decimal_from_json(json(true), 2) == std::nullopt);
  CHECK(decimal_from_json(json::array(), 2) == std::nullopt);
  CHECK(decimal_from_json(json(std::numeric_limits<uint64_t>::max()), 0)
        == std::nullopt);
  CHECK(decimal_from_json(json(std::numeric_limits<int64_t>::max()), 1)
        == std::nullopt);
}

TEST_CASE("format_decimal normalizes") {
  CHECK(format_decimal(15000, 4) == "1.5");
  CHECK(format_decimal(2500, 2) == "25");
  CHECK(format_decimal(-1, 2) == "-0.01");
  CHECK(format_decimal(0, 4) == "0");
  CHECK(format_decimal(125050, 2) == "1250.5");
  CHECK(format_decimal(7, 0) == "7");
  CHECK(format_decimal(std::numeric_limits<int64_t>::min(), 2)
        == "-92233720368547758.08");
  for (int64_t x : {0L, 1L, -1L, 10L, 123456789L, -1000000L})
    CHECK(parse_decimal(format_decimal(x, 4), 4) == x);
}

namespace {

invoice sample_invoice() {
  invoice x;
  x.remote_id = "39";
  x.invoice_number = "39";
  x.customer_remote_id = "1";
  x.invoice_date = "2024-12-02";
  x.due_date = "2025-01-01";
  x.total = 156250;
  x.vat = 31250;
  x.status = "sent";
  x.external_ref = "0b7e6f1c-5a8e-4d11-9a43-1f3c1b2a9e77";
  x.rows.push_back(
    {1, "101", "Konsulttimme \xC3\xA4", 15000, "h", 83333, 2500});
  x.rows.push_back({2, std::nullopt, "Text row", 0, std::nullopt, 0, 0});
  return x;
}

} // namespace

TEST_CASE("canonical JSON is deterministic and sorted") {
  auto x = sample_invoice();
  auto a = to_json(x).dump();
  auto b = to_json(sample_invoice()).dump();
  CHECK(a == b);
  auto j = to_json(x);
  CHECK(j["rows"][0]["quantity"] == "1.5");
  CHECK(j["rows"][0]["vat_percent"] == "25");
  CHECK(j["rows"][1]["vat_percent"] == "0");
  CHECK(j["total"] == 156250);
  CHECK(j["your_reference"].is_null());
  // Sorted keys: the text starts with the alphabetically first key.
  CHECK(a.rfind("{\"currency\":", 0) == 0);
  customer c;
  c.name = "A";
  CHECK(to_json(c).dump()
        == "{\"active\":true,\"address1\":null,\"address2\":null,"
           "\"city\":null,\"country_code\":null,\"currency\":\"SEK\","
           "\"customer_number\":null,\"email\":null,\"external_ref\":null,"
           "\"name\":\"A\",\"org_number\":null,\"phone\":null,"
           "\"postal_code\":null,\"remote_id\":null,\"vat_number\":null}");
}

TEST_CASE("canonical JSON round-trips") {
  std::string error;
  auto x = sample_invoice();
  auto back = invoice_from_json(to_json(x), error);
  REQUIRE(back.has_value());
  CHECK(*back == x);
  customer c;
  c.name = "Kund \xC3\xA4";
  c.remote_id = "7";
  c.active = false;
  c.currency = "EUR";
  auto c2 = customer_from_json(to_json(c), error);
  REQUIRE(c2.has_value());
  CHECK(*c2 == c);
  // Quantities may also come as JSON numbers.
  auto j = to_json(x);
  j["rows"][0]["quantity"] = 1.5;
  j["rows"][0]["vat_percent"] = 25;
  CHECK(invoice_from_json(j, error) == x);
}

TEST_CASE("canonical from_json errors name the field") {
  std::string error;
  auto j = to_json(sample_invoice());
  SECTION("missing required") {
    j.erase("customer_remote_id");
    CHECK_FALSE(invoice_from_json(j, error).has_value());
    CHECK(error == "customer_remote_id: missing");
  }
  SECTION("wrong type") {
    j["total"] = "12";
    CHECK_FALSE(invoice_from_json(j, error).has_value());
    CHECK(error == "total: not an integer");
  }
  SECTION("row field") {
    j["rows"][1]["quantity"] = "x";
    CHECK_FALSE(invoice_from_json(j, error).has_value());
    CHECK(error == "rows[1].quantity: not a decimal");
  }
  SECTION("unknown status") {
    j["status"] = "lost";
    CHECK_FALSE(invoice_from_json(j, error).has_value());
    CHECK(error.find("status") == 0);
  }
  SECTION("customer name") {
    customer c;
    auto cj = to_json(c);
    cj["name"] = nullptr;
    CHECK_FALSE(customer_from_json(cj, error).has_value());
    CHECK(error == "name: missing");
    cj["name"] = 5;
    CHECK_FALSE(customer_from_json(cj, error).has_value());
    CHECK(error == "name: not a string");
    CHECK_FALSE(customer_from_json(json::array(), error).has_value());
  }
}
