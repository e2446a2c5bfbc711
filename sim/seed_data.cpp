#include "sim/seed_data.hpp"

#include <array>
#include <random>

#include "sim/fortnox_model.hpp"
#include "sim/visma_model.hpp"

namespace ledgerd::sim {

namespace {

using json = nlohmann::json;

constexpr std::array surnames
  = {"Andersson",  "Johansson", "Karlsson", "Nilsson",  "Eriksson",
     "Larsson",    "Olsson",    "Persson",  "Svensson", "Gustafsson",
     "Pettersson", "Jonsson",   "Jansson",  "Hansson",  "Bengtsson",
     "Lindberg",   "Lindström", "Åberg",    "Öberg",    "Sjöberg"};

constexpr std::array trades
  = {"Bygg", "El",  "Måleri",   "Konsult", "Frakt",    "Café",
     "Städ", "VVS", "Trädgård", "Data",    "Snickeri", "Bageri"};

constexpr std::array forms = {"AB", "AB", "HB", "& Söner AB", "Handelsbolag"};

constexpr std::array cities = {
  "Stockholm", "Göteborg",    "Malmö",     "Uppsala",    "Västerås", "Örebro",
  "Linköping", "Helsingborg", "Jönköping", "Norrköping", "Umeå",     "Luleå"};

constexpr std::array streets
  = {"Storgatan",     "Kungsgatan", "Drottninggatan", "Skolgatan",
     "Järnvägsgatan", "Parkvägen",  "Ringvägen",      "Åsgatan"};

constexpr std::array articles
  = {"Konsulttimme", "Material", "Resekostnad", "Installation",
     "Service",      "Licens",   "Support",     "Frakt"};

template<class A>
const char* pick(std::mt19937_64& rng, const A& a) {
  return a[rng() % a.size()];
}

int uniform(std::mt19937_64& rng, int lo, int hi) {
  return lo + static_cast<int>(rng() % static_cast<uint64_t>(hi - lo + 1));
}

struct company {
  std::string name, street, zip, city, org, email, phone;
};

company make_company(std::mt19937_64& rng) {
  company c;
  std::string surname = pick(rng, surnames);
  c.name = surname + " " + pick(rng, trades) + " " + pick(rng, forms);
  c.street = std::string{pick(rng, streets)} + " "
             + std::to_string(uniform(rng, 1, 120));
  c.zip = std::to_string(uniform(rng, 100, 989)) + " "
          + std::to_string(uniform(rng, 10, 99));
  c.city = pick(rng, cities);
  c.org = "55" + std::to_string(uniform(rng, 1000, 9999)) + "-"
          + std::to_string(uniform(rng, 1000, 9999));
  c.email = "info@" + std::to_string(uniform(rng, 100, 999)) + ".example.se";
  c.phone = "08-" + std::to_string(uniform(rng, 100000, 999999));
  return c;
}

sys_ms past(std::mt19937_64& rng) {
  using namespace std::chrono;
  auto ago = milliseconds{uniform(rng, 3600, 30 * 86400)} * 1000;
  return utc_now() - ago;
}

json random_rows(std::mt19937_64& rng, bool fortnox) {
  auto rows = json::array();
  int n = uniform(rng, 1, 5);
  for (int i = 0; i < n; ++i) {
    // Whole or half kronor keep the totals exact.
    double price = uniform(rng, 20, 4000) / 2.0;
    int qty = uniform(rng, 1, 10);
    std::string text = pick(rng, articles);
    if (fortnox)
      rows.push_back({{"ArticleNumber", std::to_string(100 + i)},
                      {"Description", text},
                      {"Price", price},
                      {"DeliveredQuantity", std::to_string(qty)},
                      {"VAT", 25}});
    else
      rows.push_back({{"Text", text},
                      {"UnitPrice", price},
                      {"Quantity", qty},
                      {"PercentVat", 0.25}});
  }
  return rows;
}

void seed_fortnox(tenant& t, std::mt19937_64& rng, std::size_t customers,
                  std::size_t invoices) {
  std::vector<std::string> numbers;
  for (std::size_t i = 0; i < customers; ++i) {
    auto number = std::to_string(t.next_customer++);
    auto c = make_company(rng);
    auto data = fortnox::new_customer(number);
    data["Name"] = c.name;
    data["Address1"] = c.street;
    data["ZipCode"] = c.zip;
    data["City"] = c.city;
    data["OrganisationNumber"] = c.org;
    data["Email"] = c.email;
    data["Phone1"] = c.phone;
    data["CountryCode"] = "SE";
    data["Country"] = "Sverige";
    t.customers.insert(number, std::move(data), past(rng));
    numbers.push_back(number);
  }
  for (std::size_t i = 0; i < invoices && !numbers.empty(); ++i) {
    auto number = std::to_string(t.next_invoice++);
    const auto& customer = t.customers.find(numbers[rng() % numbers.size()]);
    auto when = past(rng);
    auto data = fortnox::new_invoice(number, customer->data, when);
    fortnox::set_rows(data, random_rows(rng, true), t.next_row);
    t.invoices.insert(number, std::move(data), when);
  }
}

void seed_visma(tenant& t, std::mt19937_64& rng, std::size_t customers,
                std::size_t invoices) {
  std::vector<std::string> ids;
  auto guid = [&] {
    return guid_from(rng);
  };
  for (std::size_t i = 0; i < customers; ++i) {
    auto id = guid();
    auto c = make_company(rng);
    auto when = past(rng);
    auto data
      = visma::new_customer(id, std::to_string(t.next_customer++), when);
    data["Name"] = c.name;
    data["InvoiceAddress1"] = c.street;
    data["InvoicePostalCode"] = c.zip;
    data["InvoiceCity"] = c.city;
    data["CorporateIdentityNumber"] = c.org;
    data["EmailAddress"] = c.email;
    data["Telephone"] = c.phone;
    t.customers.insert(id, std::move(data), when);
    ids.push_back(id);
  }
  for (std::size_t i = 0; i < invoices && !ids.empty(); ++i) {
    auto id = guid();
    const auto* customer = t.customers.find(ids[rng() % ids.size()]);
    auto when = past(rng);
    auto data = visma::new_invoice(id, static_cast<int64_t>(t.next_invoice++),
                                   customer->data, when);
    visma::set_rows(data, random_rows(rng, false), guid);
    t.invoices.insert(id, std::move(data), when);
  }
}

} // namespace

void seed_tenant(tenant& t, std::size_t customers, std::size_t invoices,
                 uint64_t seed) {
  std::mt19937_64 rng{seed};
  if (t.provider == "fortnox")
    seed_fortnox(t, rng, customers, invoices);
  else
    seed_visma(t, rng, customers, invoices);
}

} // namespace ledgerd::sim
