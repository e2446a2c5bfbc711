#include "adapters/fortnox/adapter.hpp"

#include "adapters/fortnox/mapping.hpp"
#include "adapters/fortnox/stockholm_time.hpp"
#include "adapters/provider/helpers.hpp"
#include "adapters/provider/lenient_json.hpp"
#include "state/iso_time.hpp"

#include <stdexcept>

namespace ledgerd::fortnox {

namespace {

using nlohmann::json;
using provider::entity;
namespace lenient = provider::lenient;

// Wrapper keys: {"Customer": {...}} for one, {"Customers": [...]} for lists.
std::string_view one_key(entity kind) {
  return kind == entity::customer ? "Customer" : "Invoice";
}

std::string_view list_key(entity kind) {
  return kind == entity::customer ? "Customers" : "Invoices";
}

std::string_view sort_key(entity kind) {
  return kind == entity::customer ? "customernumber" : "documentnumber";
}

std::string key_of(entity kind, const json& x) {
  auto key = kind == entity::customer ? "CustomerNumber" : "DocumentNumber";
  return lenient::text(x, key).value_or("");
}

json wrap(entity kind, json inner) {
  json out = json::object();
  out[std::string{one_key(kind)}] = std::move(inner);
  return out;
}

// The inner object of a write: parsed canonical mapped onto `raw`.
provider::outcome<json> write_body(const version_table& v, entity kind,
                                   const json& canonical, const json& raw) {
  if (kind == entity::customer) {
    auto x = provider::parse_customer(canonical);
    if (auto err = std::get_if<provider::error>(&x))
      return *err;
    return wrap(kind, write_customer(v, std::get<state::customer>(x), raw));
  }
  auto x = provider::parse_invoice(canonical);
  if (auto err = std::get_if<provider::error>(&x))
    return *err;
  return wrap(kind, write_invoice(v, std::get<state::invoice>(x), raw));
}

// Fortnox updates only the properties a PUT names ("properties not
// provided will be left unchanged", Fortnox's update docs): the body names
// only what differs from the record as read (`raw`), so a field someone
// changed at Fortnox since that read is not written back with its old
// value. Rows go whole when any differs (a row array has no merge).
// Fortnox answers an empty text as null or "" (provider-facts.md:
// empty vs null); the mapping writes "".
bool same_value(const json& read, const json& written) {
  auto blank = [](const json& x) {
    return x.is_null()
           || (x.is_string() && x.get_ref<const std::string&>().empty());
  };
  return read == written || (blank(read) && blank(written));
}

void keep_changed_only(json& inner, const json& raw) {
  if (!raw.is_object() || !inner.is_object())
    return;
  for (auto it = inner.begin(); it != inner.end();) {
    auto was = raw.find(it.key());
    if (was != raw.end() && same_value(*was, it.value()))
      it = inner.erase(it);
    else
      ++it;
  }
}

// MetaInformation numbers come as numbers or strings.
bool read_meta(const json& meta, provider::page& out) {
  return provider::read_page_numbers(meta, out, "@CurrentPage", "@TotalPages",
                                     "@TotalResources");
}

constexpr provider::rest_api api{
  .name = "fortnox",
  .customers = "customers",
  .invoices = "invoices",
  .caps = {.event_stream = true,
           .delete_customer = true,
           .delete_invoice = false,
           .cancel_invoice = true,
           .server_time = true,
           .complete_list_items = false},
};

using state::invoice_status;
using state::lifecycle_action;

// What Fortnox offers (provider-facts.md §1.6): bookkeep, externalprint
// (sent without sending), cancel (unbooked only: a booked invoice is an
// accounting record, corrected by a credit invoice) and credit (booked
// ones). Payments are their own resource, not a status to write.
constexpr state::lifecycle_rule lifecycle_rules[] = {
  {invoice_status::draft, invoice_status::sent, lifecycle_action::mark_sent},
  {invoice_status::draft, invoice_status::booked, lifecycle_action::bookkeep},
  {invoice_status::sent, invoice_status::booked, lifecycle_action::bookkeep},
  {invoice_status::draft, invoice_status::cancelled, lifecycle_action::cancel},
  {invoice_status::sent, invoice_status::cancelled, lifecycle_action::cancel},
  {invoice_status::booked, invoice_status::credited, lifecycle_action::credit},
  {invoice_status::paid, invoice_status::credited, lifecycle_action::credit},
  {invoice_status::booked, invoice_status::cancelled, lifecycle_action::refused,
   "a booked Fortnox invoice cannot be cancelled: credit it"},
  {invoice_status::draft, invoice_status::credited, lifecycle_action::refused,
   "Fortnox credits booked invoices only: book it first"},
  {invoice_status::sent, invoice_status::credited, lifecycle_action::refused,
   "Fortnox credits booked invoices only: book it first"},
  {invoice_status::booked, invoice_status::paid, lifecycle_action::refused,
   "a payment is registered in Fortnox (invoice payments), not written as a "
   "status"},
};

std::string_view action_path(lifecycle_action x) {
  switch (x) {
  case lifecycle_action::bookkeep:
    return "bookkeep";
  case lifecycle_action::mark_sent:
    return "externalprint";
  case lifecycle_action::cancel:
    return "cancel";
  case lifecycle_action::credit:
    return "credit";
  default:
    return "";
  }
}

} // namespace

/// A cancelled invoice is not a delete: it stays, with status cancelled
/// (read_invoice), as accounting requires.
provider::outcome<provider::remote_record>
to_record(const version_table& v, entity kind, const json& x) {
  auto customer = [&v](const json& y, std::string& error) {
    return read_customer(v, y, error);
  };
  auto invoice = [&v](const json& y, std::string& error) {
    return read_invoice(v, y, error);
  };
  return provider::read_record(kind, x, customer, invoice);
}

namespace {

const version_table& version_or_throw(std::string_view name) {
  if (const auto* v = find_version(name))
    return *v;
  throw std::invalid_argument("unknown Fortnox API version "
                              + std::string{name});
}

} // namespace

adapter::adapter(std::string base_url, std::string api_version)
  : rest_adapter(api, std::move(base_url), api_version)
  , version_(&version_or_throw(api_version)) {}

http::client_request adapter::list(const provider::list_query& q) const {
  std::vector<std::pair<std::string, std::string>> params{
    {"limit", "500"}, {"page", std::to_string(q.page)}};
  if (q.since)
    params.emplace_back("lastmodified", stockholm_lower_bound(*q.since));
  params.emplace_back("sortby", std::string{sort_key(q.kind)});
  return provider::json_request(
    "GET", provider::with_query(collection(q.kind), params));
}

provider::outcome<provider::page>
adapter::decode_list(entity kind, const http::client_result& res) const {
  if (!res.ok())
    return classify(res);
  auto body = lenient::parse(res.body);
  provider::page out;
  auto meta = lenient::find(body, "MetaInformation");
  if (meta == nullptr || !read_meta(*meta, out))
    return provider::malformed(res, "MetaInformation missing or not readable");
  auto items = lenient::find(body, list_key(kind));
  if (items == nullptr || !items->is_array())
    return provider::malformed(res, std::string{list_key(kind)} + " missing");
  provider::read_items(
    out, kind, *items,
    [this](entity k, const json& x) {
      return to_record(*version_, k, x);
    },
    key_of);
  out.notice = provider::retirement_of(res, "/" + endpoint(kind));
  // Records carry no modification time, so the watermark is the scan's
  // start; taken from Fortnox's own clock (the answer's Date, sent by the
  // real API [V]) it holds however far ours is off.
  if (auto at = state::parse_http_date(res.header("date")))
    out.server_time = state::format_iso_utc(*at);
  return out;
}

provider::outcome<provider::remote_record>
adapter::decode_one(entity kind, const http::client_result& res) const {
  if (!res.ok())
    return classify(res);
  auto body = lenient::parse(res.body);
  auto inner = lenient::find(body, one_key(kind));
  if (inner == nullptr)
    return provider::malformed(res, std::string{one_key(kind)} + " missing");
  auto rec
    = provider::read_one(kind, *inner, res, [this](entity k, const json& x) {
        return to_record(*version_, k, x);
      });
  if (auto* r = std::get_if<provider::remote_record>(&rec))
    r->notice = provider::retirement_of(res, "/" + endpoint(kind));
  return rec;
}

provider::outcome<http::client_request>
adapter::create(entity kind, const json& canonical,
                const json& defaults) const {
  // The defaults play the part an update's raw object plays.
  return provider::body_request(
    "POST", collection(kind), write_body(*version_, kind, canonical, defaults));
}

provider::outcome<http::client_request>
adapter::update(entity kind, std::string_view remote_id, const json& canonical,
                const json& raw) const {
  auto body = write_body(*version_, kind, canonical, raw);
  if (auto* b = std::get_if<json>(&body))
    keep_changed_only((*b)[std::string{one_key(kind)}], raw);
  return provider::body_request("PUT", item(kind, remote_id), std::move(body));
}

provider::outcome<http::client_request>
adapter::remove(entity kind, std::string_view remote_id) const {
  if (kind == entity::customer)
    return provider::json_request("DELETE", item(kind, remote_id));
  // Invoices cannot be deleted; cancelling is the closest (and answers with
  // the cancelled invoice).
  return provider::json_request("PUT", item(kind, remote_id) + "/cancel");
}

provider::outcome<http::client_request>
adapter::transition(entity kind, std::string_view remote_id,
                    invoice_status from, invoice_status to) const {
  auto action = provider::plan_move(lifecycle_rules, "Fortnox", kind, from, to);
  if (auto* err = std::get_if<provider::error>(&action))
    return *err;
  auto path = action_path(std::get<lifecycle_action>(action));
  return provider::json_request("PUT", item(kind, remote_id) + "/"
                                         + std::string{path});
}

http::client_request
adapter::find_by_external_ref(const provider::ref_query& q) const {
  std::vector<std::pair<std::string, std::string>> params;
  if (q.kind == entity::invoice)
    params.emplace_back("externalinvoicereference1", q.local_id);
  else if (q.since)
    // No external-reference filter for customers: every customer modified
    // since the write was first sent (less the margin), see the header.
    params.emplace_back("lastmodified",
                        stockholm_lower_bound(*q.since - in_doubt_margin));
  params.emplace_back("limit", "500");
  params.emplace_back("page", std::to_string(q.page));
  params.emplace_back("sortby", std::string{sort_key(q.kind)});
  return provider::json_request(
    "GET", provider::with_query(collection(q.kind), params));
}

provider::error adapter::classify(const http::client_result& res) const {
  return fortnox::classify(res);
}

} // namespace ledgerd::fortnox
