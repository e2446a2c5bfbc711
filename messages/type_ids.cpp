#include "messages/type_ids.hpp"

#include <caf/actor_system_config.hpp>

namespace ledgerd {

void register_messages(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::ledgerd>();
  // The template overload add_error_category<T>(atom) does not compile in
  // CAF 0.17.6 (caf-0.17-notes.md §2): use the renderer overload.
  cfg.add_error_category(caf::atom("ledgerd"), [](uint8_t code, caf::atom_value,
                                                  const caf::message& ctx) {
    auto txt = "ledgerd::" + to_string(static_cast<errc>(code));
    return ctx.empty() ? txt : txt + " " + to_string(ctx);
  });
}

} // namespace ledgerd
