#include "adapters/visma/adapter.hpp"

#include "adapters/provider/field_table.hpp"
#include "adapters/provider/helpers.hpp"
#include "adapters/provider/lenient_json.hpp"
#include "adapters/visma/mapping.hpp"
#include "state/iso_time.hpp"

#include <cstdio>
#include <stdexcept>

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

bool read_meta(const json& meta, provider::page& out) {
  if (!provider::read_page_numbers(
        meta, out, "CurrentPage", "TotalNumberOfPages", "TotalNumberOfResults"))
    return false;
  out.server_time = lenient::text(meta, "ServerTimeUtc").value_or("");
  return true;
}

constexpr provider::rest_api api{
  .name = "visma",
  .customers = "customers",
  .invoices = "customerinvoices",
  .caps = {.event_stream = false,
           .delete_customer = true,
           .delete_invoice = false,
           .cancel_invoice = true,
           .server_time = true,
           .complete_list_items = true},
};

std::string key_of(entity, const json& x) {
  return lenient::text(x, "Id").value_or("");
}

constexpr std::string_view drafts = "customerinvoicedrafts";

bool is_draft_id(std::string_view remote_id) {
  return remote_id.starts_with(draft_prefix);
}

std::string_view draft_guid(std::string_view remote_id) {
  return remote_id.substr(draft_prefix.size());
}

using state::invoice_status;
using state::lifecycle_action;

constexpr std::string_view converted_note
  = "a Visma customer invoice cannot change once converted from its draft";

// What Visma offers (provider-facts.md §2.6): drafts become invoices by
// convert; see the header for what is refused and why.
constexpr state::lifecycle_rule lifecycle_rules[] = {
  {invoice_status::draft, invoice_status::booked,
   lifecycle_action::convert_draft},
  {invoice_status::draft, invoice_status::sent,
   lifecycle_action::convert_draft},
  {invoice_status::draft, invoice_status::cancelled, lifecycle_action::refused,
   "a Visma draft has no cancelled state: delete the local invoice to delete "
   "the draft"},
  {invoice_status::booked, invoice_status::cancelled, lifecycle_action::refused,
   "Visma shows a voided invoice as settled, not cancelled: void or credit it "
   "in Visma"},
  {invoice_status::booked, invoice_status::credited, lifecycle_action::refused,
   "crediting through the Visma API is not supported (its request is "
   "undocumented): credit it in Visma"},
  {invoice_status::paid, invoice_status::credited, lifecycle_action::refused,
   "crediting through the Visma API is not supported (its request is "
   "undocumented): credit it in Visma"},
  {invoice_status::booked, invoice_status::paid, lifecycle_action::refused,
   "a payment is registered in Visma (invoice payments), not written as a "
   "status"},
  {invoice_status::booked, invoice_status::draft, lifecycle_action::refused,
   converted_note},
  {invoice_status::booked, invoice_status::sent, lifecycle_action::refused,
   converted_note},
};

} // namespace

namespace {

/// The record's change time, its version: customers and invoices name it
/// differently.
std::optional<std::string> change_time_of(entity kind, const json& x) {
  return lenient::nonempty(x, kind == entity::customer ? "ChangedUtc"
                                                       : "ModifiedUtc");
}

} // namespace

provider::outcome<provider::remote_record>
to_record(const version_table& v, entity kind, const json& x) {
  auto version = change_time_of(kind, x);
  auto customer = [&v](const json& y, std::string& error) {
    return read_customer(v, y, error);
  };
  auto invoice = [&v](const json& y, std::string& error) {
    return read_invoice(v, y, error);
  };
  return provider::read_record(kind, x, customer, invoice, std::move(version));
}

namespace {

bool carries_mapped_keys(const version_table& v, entity kind, const json& x) {
  if (kind == entity::customer)
    return provider::carries_all(x, v.customer);
  return provider::carries_all(x, v.invoice) && x.contains("Rows");
}

} // namespace

provider::outcome<provider::remote_record>
list_item(const version_table& v, entity kind, const json& x) {
  auto id = key_of(kind, x);
  if (id.empty() || carries_mapped_keys(v, kind, x))
    return to_record(v, kind, x);
  // Whole records are what Visma's lists carry as far as we know [U]; a
  // summary instead is fetched, not read as the missing fields cleared.
  provider::remote_record rec;
  rec.kind = kind;
  rec.remote_id = std::move(id);
  rec.version = change_time_of(kind, x).value_or("");
  rec.partial = true;
  return rec;
}

namespace {

const version_table& version_or_throw(std::string_view name) {
  if (const auto* v = find_version(name))
    return *v;
  throw std::invalid_argument("unknown Visma API version " + std::string{name});
}

} // namespace

adapter::adapter(std::string base_url, std::string api_version)
  : rest_adapter(api, std::move(base_url), api_version)
  , version_(&version_or_throw(api_version)) {}

http::client_request adapter::get(entity kind,
                                  std::string_view remote_id) const {
  if (kind == entity::invoice && is_draft_id(remote_id))
    return provider::json_request(
      "GET", at(drafts) + "/" + http::url_encode(draft_guid(remote_id)));
  return rest_adapter::get(kind, remote_id);
}

void adapter::annotate(const http::client_request& req,
                       provider::remote_record& rec) const {
  // The draft paths answer drafts; a convert answers the customer invoice.
  auto path = req.url.substr(0, req.url.find('?'));
  if (rec.kind != entity::invoice
      || path.find("/" + std::string{drafts}) == std::string::npos
      || path.ends_with("/convert") || is_draft_id(rec.remote_id))
    return;
  rec.remote_id = std::string{draft_prefix} + rec.remote_id;
  if (rec.canonical.is_object()) {
    rec.canonical["remote_id"] = rec.remote_id;
    rec.canonical["status"] = "draft";
  }
}

http::client_request adapter::list(const provider::list_query& q) const {
  params xs{{"$page", std::to_string(q.page)}, {"$pagesize", "500"}};
  if (q.since && q.kind == entity::invoice)
    xs.emplace_back("modifiedSinceUtc", state::format_iso_utc(*q.since));
  else if (q.since)
    xs.emplace_back("$filter",
                    "ChangedUtc gt " + state::format_iso_utc(*q.since));
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
  provider::read_items(
    out, kind, *items,
    [this](entity k, const json& x) {
      return list_item(*version_, k, x);
    },
    key_of);
  out.notice = provider::retirement_of(res, "/" + endpoint(kind));
  return out;
}

provider::outcome<provider::remote_record>
adapter::decode_one(entity kind, const http::client_result& res) const {
  if (!res.ok())
    return classify(res);
  auto body = lenient::parse(res.body);
  if (!body.is_object())
    return provider::malformed(res, "response is not a JSON object");
  auto rec
    = provider::read_one(kind, body, res, [this](entity k, const json& x) {
        return to_record(*version_, k, x);
      });
  if (auto* r = std::get_if<provider::remote_record>(&rec))
    r->notice = provider::retirement_of(res, "/" + endpoint(kind));
  return rec;
}

provider::outcome<http::client_request>
adapter::create(entity kind, const json& canonical,
                const json& defaults) const {
  if (kind == entity::customer) {
    auto x = provider::parse_customer(canonical);
    if (auto err = std::get_if<provider::error>(&x))
      return *err;
    return provider::body_request(
      "POST", collection(kind),
      write_customer(*version_, std::get<state::customer>(x), defaults));
  }
  auto x = provider::parse_invoice(canonical);
  if (auto err = std::get_if<provider::error>(&x))
    return *err;
  const auto& inv = std::get<state::invoice>(x);
  auto body = write_invoice(*version_, inv);
  if (defaults.is_object())
    for (const auto& [key, value] : defaults.items())
      if (!body.contains(key))
        body[key] = value;
  // A local draft stays editable at Visma only as a draft.
  auto url = inv.status == "draft" ? at(drafts) : collection(kind);
  return provider::body_request("POST", url, std::move(body));
}

provider::outcome<http::client_request>
adapter::update(entity kind, std::string_view remote_id, const json& canonical,
                const json& raw) const {
  if (kind == entity::invoice) {
    if (!is_draft_id(remote_id))
      return provider::invalid_input(std::string{converted_note}
                                     + " (only drafts can be updated)");
    auto x = provider::parse_invoice(canonical);
    if (auto err = std::get_if<provider::error>(&x))
      return *err;
    auto body = write_invoice(*version_, std::get<state::invoice>(x));
    body["Id"] = std::string{draft_guid(remote_id)};
    return provider::body_request(
      "PUT", at(drafts) + "/" + http::url_encode(draft_guid(remote_id)),
      std::move(body));
  }
  auto x = provider::parse_customer(canonical);
  if (auto err = std::get_if<provider::error>(&x))
    return *err;
  return provider::body_request(
    "PUT", item(kind, remote_id),
    write_customer(*version_, std::get<state::customer>(x), raw));
}

provider::outcome<http::client_request>
adapter::remove(entity kind, std::string_view remote_id) const {
  if (kind == entity::customer)
    return provider::json_request("DELETE", item(kind, remote_id));
  if (is_draft_id(remote_id)) // a draft is no accounting record yet
    return provider::json_request(
      "DELETE", at(drafts) + "/" + http::url_encode(draft_guid(remote_id)));
  // Void: "the invoice can't have any payments or prior credit
  // relationships"; Visma says so in the error otherwise.
  return provider::body_request("POST", item(kind, remote_id) + "/void",
                                json::object());
}

provider::outcome<http::client_request>
adapter::transition(entity kind, std::string_view remote_id,
                    invoice_status from, invoice_status to) const {
  // convert_draft is the one move in the table.
  auto action = provider::plan_move(lifecycle_rules, "Visma", kind, from, to);
  if (auto* err = std::get_if<provider::error>(&action))
    return *err;
  if (!is_draft_id(remote_id))
    return provider::invalid_input(std::string{converted_note});
  return provider::body_request(
    "POST",
    at(drafts) + "/" + http::url_encode(draft_guid(remote_id)) + "/convert",
    json::object());
}

http::client_request
adapter::find_by_external_ref(const provider::ref_query& q) const {
  // The version's external reference field (v2 Note, v3 ExternalReference).
  auto field
    = q.kind == entity::customer
        ? provider::key_of(version_->customer, &state::customer::external_ref)
        : provider::key_of(version_->invoice, &state::invoice::external_ref);
  params xs{
    {"$page", std::to_string(q.page)},
    {"$pagesize", "500"},
    {"$filter", std::string{field} + " eq " + odata_string(q.local_id)}};
  // A draft's create is looked for among the drafts.
  auto url = q.kind == entity::invoice && q.status == "draft"
               ? at(drafts)
               : collection(q.kind);
  return provider::json_request("GET", with_query(url, xs));
}

provider::error adapter::classify(const http::client_result& res) const {
  return visma::classify(res);
}

} // namespace ledgerd::visma
