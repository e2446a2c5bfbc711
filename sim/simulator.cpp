#include "sim/simulator.hpp"

#include <future>
#include <stdexcept>
#include <thread>

#include "sim/admin_api.hpp"
#include "sim/listener.hpp"
#include "sim/world.hpp"

namespace ledgerd::sim {

struct simulator::impl {
  explicit impl(sim_options opts)
    : state(std::move(opts)) {}

  // Destroyed bottom-up: thread, listener, io_context (with the sessions
  // its pending handlers own), then the state they referred to.
  world state;
  asio::io_context ioc{1};
  std::unique_ptr<listener> acceptor;
  std::thread thread;
};

simulator::simulator(sim_options opts)
  : impl_(std::make_unique<impl>(std::move(opts))) {
  if (impl_->state.options.time_scale <= 0)
    throw std::invalid_argument("time_scale must be positive");
}

simulator::~simulator() {
  stop();
}

void simulator::start() {
  if (impl_->acceptor)
    throw std::logic_error("simulator already started");
  const auto& o = impl_->state.options;
  impl_->acceptor
    = std::make_unique<listener>(impl_->ioc, impl_->state, o.host, o.port);
  impl_->acceptor->run();
  impl_->thread = std::thread{[this] {
    impl_->ioc.run();
  }};
}

uint16_t simulator::port() const {
  return impl_->acceptor ? impl_->acceptor->port() : 0;
}

void simulator::stop() {
  if (!impl_->thread.joinable())
    return;
  asio::post(impl_->ioc, [this] {
    impl_->acceptor->stop();
    impl_->ioc.stop();
  });
  impl_->thread.join();
}

nlohmann::json simulator::add_tenant(const nlohmann::json& spec) {
  std::promise<nlohmann::json> result;
  auto done = result.get_future();
  asio::post(impl_->ioc, [&] {
    try {
      result.set_value(create_tenant(impl_->state, spec));
    } catch (...) {
      result.set_exception(std::current_exception());
    }
  });
  return done.get();
}

} // namespace ledgerd::sim
