// Everything the simulator knows: tenants and their records, tokens, rate
// limits, faults and the topic log. Only the server's single I/O thread
// touches it, so it needs no locks.
#pragma once

#include <functional>
#include <map>
#include <random>
#include <string>

#include "sim/civil_time.hpp"
#include "sim/event_log.hpp"
#include "sim/fault_schedule.hpp"
#include "sim/limit_registry.hpp"
#include "sim/options.hpp"
#include "sim/record_store.hpp"
#include "sim/sliding_window.hpp"
#include "sim/token_store.hpp"

namespace ledgerd::sim {

struct tenant {
  std::string provider; // "fortnox" or "visma"
  std::string name;
  int64_t tenant_id = 0; // Fortnox TenantId
  record_store customers;
  record_store invoices;
  /// Visma customer invoice drafts (no Fortnox counterpart).
  record_store drafts;
  uint64_t next_customer = 1; // CustomerNumber
  uint64_t next_invoice = 1;  // DocumentNumber / InvoiceNumber
  uint64_t next_row = 1;      // Fortnox RowId

  std::string key() const {
    return provider + "/" + name;
  }
};

/// A v4-shaped GUID drawn from `rng`.
std::string guid_from(std::mt19937_64& rng);

class world {
public:
  explicit world(sim_options opts);

  tenant* find_tenant(const std::string& key);

  /// A random (v4-shaped) GUID, from the seeded generator.
  std::string make_guid();

  /// Stamps `r` as modified now and, for Fortnox, publishes `type` on the
  /// topic of `kind` ("customers" or "invoices").
  void touch(tenant& t, const std::string& kind, record& r,
             const std::string& type);

  /// Publishes a Fortnox event without touching a record (deletes).
  void publish(tenant& t, const std::string& kind, const std::string& id,
               const std::string& type);

  /// The provider's clock (the quirk clock_offset_s on true UTC): what its
  /// records, filters and Date headers say.
  sys_ms now() const;

  /// How far filtered lists lag the store: the larger of the fault and the
  /// quirk.
  std::chrono::milliseconds search_lag() const;

  /// Whether Visma's `eq` filters match substrings (fault or quirk).
  bool loose_search() const;

  /// Whether Visma rounds invoice totals to whole units (the round_totals
  /// fault or the visma.total_rounding quirk).
  bool visma_rounds_totals() const;

  /// Whether the token endpoint of `provider` admits a request of
  /// `client_id` now (quirk oauth.token_limit, per minute, scaled).
  bool admit_token_request(const std::string& provider,
                           const std::string& client_id);

  /// Sets one quirk (sim/quirks.hpp); "" or the error.
  std::string set_quirk(std::string_view name, std::string_view value);

  /// Clears tenants, tokens, limits, faults and events.
  void reset();

  sim_options options;
  std::mt19937_64 rng;
  std::map<std::string, tenant> tenants; // by key()
  token_store tokens;
  limit_registry limits;
  fault_schedule faults;
  event_log events;
  uint64_t requests_total = 0;
  /// Token requests by "provider/client_id" (oauth.token_limit).
  std::map<std::string, sliding_window> token_windows;
  uint64_t token_throttled = 0;
  /// Set by the server: delivers a new event to WebSocket subscribers.
  std::function<void(const topic_event&)> on_event;
  /// Set by the server: drops every WebSocket connection.
  std::function<void()> on_websocket_disconnect;
};

} // namespace ledgerd::sim
