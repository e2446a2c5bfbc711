#include "state/pushed_totals.hpp"

namespace ledgerd::state {

nlohmann::json pushed_invoice_base(nlohmann::json sent) {
  auto stated = [&](const char* key) {
    auto i = sent.find(key);
    return i != sent.end() && i->is_number() && *i != 0;
  };
  if (sent.is_object() && (stated("total") || stated("vat"))) {
    sent.erase("total");
    sent.erase("vat");
  }
  return sent;
}

} // namespace ledgerd::state
