#include "adapters/visma/adapter.hpp"

#include "adapters/provider/content_hash.hpp"
#include "adapters/provider/helpers.hpp"
#include "adapters/provider/lenient_json.hpp"
#include "adapters/visma/mapping.hpp"

#include <cstdio>

namespace ledgerd::visma {

namespace {

using nlohmann::json;
using provider::entity;
namespace lenient = provider::lenient;
using params = std::vector<std::pair<std::string, std::string>>;

// OData option names keep their '$' (a legal query character); values are
// encoded.
std::string with_query(std::string url, const params& xs) {
  char sep = '?';
  for (const auto& [name, value] : xs) {
    url += sep;
    url += name + "=" + http::url_encode(value);
    sep = '&';
  }
  return url;
}

// An OData string literal: quotes doubled.
std::string odata_string(std::string_view x) {
  std::string out = "'";
  for (char c : x)
    out += c == '\'' ? std::string{"''"} : std::string{c};
  return out + "'";
}

provider::outcome<http::client_request>
body_request(std::string method, std::string url, const json& body) {
  return provider::json_request(std::move(method), std::move(url), &body);
}

bool read_meta(const json& meta, provider::page& out) {
  auto current = lenient::count(meta, "CurrentPage");
  auto pages = lenient::count(meta, "TotalNumberOfPages");
  auto total = lenient::count(meta, "TotalNumberOfResults");
  if (!current || !pages || !total)
    return false;
  out.current = static_cast<uint32_t>(*current);
  out.total_pages = static_cast<uint32_t>(std::max<uint64_t>(*pages, 1));
  out.total_records = *total;
  out.server_time = lenient::text(meta, "ServerTimeUtc").value_or("");
  return true;
}

} // namespace

std::string iso_utc(std::chrono::sys_seconds t) {
  using namespace std::chrono;
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss hms{t - day};
  char buf[64];
  std::snprintf(
    buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ",
    static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
    static_cast<unsigned>(ymd.day()), static_cast<long>(hms.hours().count()),
    static_cast<long>(hms.minutes().count()),
    static_cast<long>(hms.seconds().count()));
  return buf;
}

provider::outcome<provider::remote_record> to_record(entity kind,
                                                     const json& x) {
  provider::remote_record rec;
  rec.kind = kind;
  std::string why;
  std::optional<std::string> version;
  if (kind == entity::customer) {
    auto c = read_customer(x, why);
    if (!c)
      return provider::malformed({}, why);
    rec.canonical = state::to_json(*c);
    rec.remote_id = *c->remote_id;
    version = lenient::nonempty(x, "ChangedUtc");
  } else {
    auto inv = read_invoice(x, why);
    if (!inv)
      return provider::malformed({}, why);
    rec.canonical = state::to_json(*inv);
    rec.remote_id = *inv->remote_id;
    version = lenient::nonempty(x, "ModifiedUtc");
  }
  rec.version = version ? *version : provider::content_version(rec.canonical);
  rec.raw = x;
  return rec;
}

adapter::adapter(std::string base_url, std::string api_version)
  : base_(std::move(base_url) + "/" + std::move(api_version)) {
  // Nothing else: the adapter is a pure request planner.
}

std::string_view adapter::name() const {
  return "visma";
}

provider::capabilities adapter::caps() const {
  provider::capabilities x;
  x.event_stream = false;
  x.delete_customer = true;
  x.delete_invoice = false;
  x.cancel_invoice = true;
  x.server_time = true;
  x.complete_list_items = true;
  return x;
}

std::string adapter::endpoint(entity kind) const {
  return kind == entity::customer ? "customers" : "customerinvoices";
}

std::string adapter::collection(entity kind) const {
  return base_ + "/" + endpoint(kind);
}

std::string adapter::item(entity kind, std::string_view remote_id) const {
  return collection(kind) + "/" + http::url_encode(remote_id);
}

http::client_request adapter::list(const provider::list_query& q) const {
  params xs{{"$page", std::to_string(q.page)}, {"$pagesize", "500"}};
  if (q.since && q.kind == entity::invoice)
    xs.emplace_back("modifiedSinceUtc", iso_utc(*q.since));
  else if (q.since)
    xs.emplace_back("$filter", "ChangedUtc gt " + iso_utc(*q.since));
  return provider::json_request("GET", with_query(collection(q.kind), xs));
}

provider::outcome<provider::page>
adapter::decode_list(entity kind, const http::client_result& res) const {
  if (!res.ok())
    return classify(res);
  auto body = lenient::parse(res.body);
  provider::page out;
  auto meta = lenient::find(body, "Meta");
  if (meta == nullptr || !read_meta(*meta, out))
    return provider::malformed(res, "Meta missing or not readable");
  auto items = lenient::find(body, "Data");
  if (items == nullptr || !items->is_array())
    return provider::malformed(res, "Data missing");
  for (const auto& x : *items) {
    auto rec = to_record(kind, x);
    if (auto err = std::get_if<provider::error>(&rec))
      out.rejected.push_back(
        {lenient::text(x, "Id").value_or(""), err->message});
    else
      out.records.push_back(std::move(std::get<provider::remote_record>(rec)));
  }
  return out;
}

http::client_request adapter::get(entity kind,
                                  std::string_view remote_id) const {
  return provider::json_request("GET", item(kind, remote_id));
}

provider::outcome<provider::remote_record>
adapter::decode_one(entity kind, const http::client_result& res) const {
  if (!res.ok())
    return classify(res);
  auto body = lenient::parse(res.body);
  if (!body.is_object())
    return provider::malformed(res, "response is not a JSON object");
  auto rec = to_record(kind, body);
  if (auto err = std::get_if<provider::error>(&rec))
    err->status = res.status;
  return rec;
}

provider::outcome<http::client_request>
adapter::create(entity kind, const json& canonical) const {
  if (kind == entity::customer) {
    auto x = provider::parse_customer(canonical);
    if (auto err = std::get_if<provider::error>(&x))
      return *err;
    return body_request("POST", collection(kind),
                        write_customer(std::get<state::customer>(x), nullptr));
  }
  auto x = provider::parse_invoice(canonical);
  if (auto err = std::get_if<provider::error>(&x))
    return *err;
  return body_request("POST", collection(kind),
                      write_invoice(std::get<state::invoice>(x)));
}

provider::outcome<http::client_request>
adapter::update(entity kind, std::string_view remote_id, const json& canonical,
                const json& raw) const {
  if (kind == entity::invoice)
    return provider::invalid_input(
      "Visma customer invoices cannot be updated (only drafts can)");
  auto x = provider::parse_customer(canonical);
  if (auto err = std::get_if<provider::error>(&x))
    return *err;
  return body_request("PUT", item(kind, remote_id),
                      write_customer(std::get<state::customer>(x), raw));
}

provider::outcome<http::client_request>
adapter::remove(entity kind, std::string_view remote_id) const {
  if (kind == entity::customer)
    return provider::json_request("DELETE", item(kind, remote_id));
  // Void: "the invoice can't have any payments or prior credit
  // relationships"; Visma says so in the error otherwise.
  return body_request("POST", item(kind, remote_id) + "/void", json::object());
}

http::client_request
adapter::find_by_external_ref(entity kind, std::string_view local_id) const {
  auto field = kind == entity::customer ? "Note" : "ElectronicReference";
  params xs{{"$page", "1"},
            {"$pagesize", "500"},
            {"$filter", std::string{field} + " eq " + odata_string(local_id)}};
  return provider::json_request("GET", with_query(collection(kind), xs));
}

provider::error adapter::classify(const http::client_result& res) const {
  return visma::classify(res);
}

} // namespace ledgerd::visma
