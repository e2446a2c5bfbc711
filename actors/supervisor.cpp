#include "actors/supervisor.hpp"

#include "adapters/log.hpp"

#include <caf/all.hpp>

#include <memory>

namespace ledgerd {

namespace {

using self_ptr = supervisor_actor::stateful_pointer<supervisor_state>;

void start_child(self_ptr self, size_t spec) {
  auto handle = self->state.specs[spec].start(self->system());
  self->monitor(handle);
  self->state.running.emplace(handle.address(),
                              supervisor_state::running_child{spec, handle});
}

// Exits that are no crash: a deliberate stop, or a child nobody needs.
bool is_crash(const caf::error& reason) {
  return reason && reason != caf::exit_reason::normal
         && reason != caf::exit_reason::user_shutdown
         && reason != caf::exit_reason::unreachable;
}

void stop_children(self_ptr self) {
  for (auto& [addr, child] : self->state.running)
    self->send_exit(child.handle, caf::exit_reason::user_shutdown);
  self->state.running.clear();
}

void on_child_down(self_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto i = st.running.find(msg.source);
  if (i == st.running.end())
    return;
  auto spec = i->second.spec;
  st.running.erase(i);
  const auto& name = st.specs[spec].name;
  auto reason = to_string(msg.reason);
  if (st.draining || !is_crash(msg.reason)) {
    log::info("supervisor", "child stopped",
              {{"child", name}, {"reason", reason}});
    return;
  }
  if (!st.intensity->try_restart(self->clock().now())) {
    log::error("supervisor", "restart intensity exceeded, stopping the node",
               {{"child", name},
                {"reason", reason},
                {"max_restarts", st.intensity->max_restarts()}});
    st.draining = true;
    stop_children(self);
    self->quit(caf::make_error(errc::restart_intensity_exceeded, name));
    return;
  }
  ++st.restarts;
  ++st.child_restarts[name];
  log::warn("supervisor", "child crashed, restarting",
            {{"child", name}, {"reason", reason}, {"restarts", st.restarts}});
  start_child(self, spec);
}

// Asks every child to drain; delivers `true` when all answered before the
// grace deadline, then stops the children and the supervisor.
caf::result<bool> drain(self_ptr self, caf::timespan grace) {
  auto& st = self->state;
  st.draining = true;
  auto rp = self->make_response_promise<bool>();
  struct progress {
    size_t pending;
    bool all_in_time = true;
  };
  auto prog = std::make_shared<progress>(progress{st.running.size()});
  auto finish = [self, rp, prog]() mutable {
    log::info("supervisor", "drained", {{"all_in_time", prog->all_in_time}});
    rp.deliver(prog->all_in_time);
    stop_children(self);
    self->quit();
  };
  if (prog->pending == 0) {
    finish();
    return rp;
  }
  for (auto& [addr, child] : st.running) {
    auto name = st.specs[child.spec].name;
    caf::actor hdl = child.handle;
    self->request(hdl, grace, drain_atom_v)
      .then(
        [=](bool in_time) mutable {
          if (!in_time)
            prog->all_in_time = false;
          if (--prog->pending == 0)
            finish();
        },
        [=](caf::error& err) mutable {
          // A child that does not speak the drain protocol is just stopped;
          // only a timeout means work was cut short.
          if (err == caf::sec::request_timeout) {
            prog->all_in_time = false;
            log::warn("supervisor", "child did not drain before the deadline",
                      {{"child", name}});
          }
          if (--prog->pending == 0)
            finish();
        });
  }
  return rp;
}

} // namespace

supervisor_actor::behavior_type
supervisor(supervisor_actor::stateful_pointer<supervisor_state> self,
           std::vector<child_spec> specs, supervisor_options opts) {
  self->state.specs = std::move(specs);
  self->state.intensity.emplace(opts.max_restarts, opts.restart_period);
  self->set_down_handler([self](const caf::down_msg& msg) {
    on_child_down(self, msg);
  });
  for (size_t i = 0; i < self->state.specs.size(); ++i)
    start_child(self, i);
  return {
    [self](drain_atom, caf::timespan grace) {
      return drain(self, grace);
    },
    [self](health_atom) {
      supervisor_status status;
      for (auto& [addr, child] : self->state.running)
        status.running.push_back(self->state.specs[child.spec].name);
      status.restarts = self->state.restarts;
      status.child_restarts = self->state.child_restarts;
      status.draining = self->state.draining;
      return status;
    },
    [self](caf::get_atom, const std::string& name) -> caf::result<caf::actor> {
      for (auto& [addr, child] : self->state.running)
        if (self->state.specs[child.spec].name == name)
          return child.handle;
      return caf::make_error(errc::no_such_child, name);
    },
  };
}

} // namespace ledgerd
