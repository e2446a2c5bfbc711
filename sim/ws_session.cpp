#include "sim/ws_session.hpp"

namespace ledgerd::sim {

namespace {

using json = nlohmann::json;

} // namespace

ws_session::ws_session(tcp::socket socket, world& w)
  : ws_(std::move(socket))
  , world_(w) {}

void ws_session::run(bhttp::request<bhttp::string_body> req) {
  upgrade_ = std::move(req);
  ws_.async_accept(upgrade_, [self = shared_from_this()](beast::error_code ec) {
    self->on_accept(ec);
  });
}

void ws_session::on_accept(beast::error_code ec) {
  if (ec)
    return;
  do_read();
}

void ws_session::do_read() {
  ws_.async_read(
    buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
}

void ws_session::on_read(beast::error_code ec) {
  if (ec) {
    closed_ = true;
    return;
  }
  auto text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  handle(text);
  do_read();
}

void ws_session::handle(const std::string& text) {
  auto cmd = json::parse(text, nullptr, false);
  std::string name = cmd.is_object() ? cmd.value("command", "") : "";
  if (name == "add-tenants-v1") {
    send(add_tenants(cmd).dump());
  } else if (name == "add-topics-v1") {
    send(add_topics(cmd).dump());
    if (subscribed_)
      replay();
  } else if (name == "subscribe-v1") {
    send(json{{"response", name}, {"result", "ok"}}.dump());
    subscribed_ = true;
    replay();
  } else if (name == "remove-tenants-v1") {
    for (const auto& id : cmd.value("tenants", json::array()))
      if (id.is_number_integer())
        tenants_.erase(id.get<int64_t>());
    send(json{{"response", name}, {"result", "ok"}}.dump());
  } else {
    send(json{
      {"response", name}, {"result", "error"}, {"error", "unknown command"}}
           .dump());
  }
}

json ws_session::add_tenants(const json& cmd) {
  auto secret = cmd.value("clientSecret", "");
  auto ids = json::object();
  auto invalid = json::array();
  auto now = token_store::clock::now();
  for (const auto& tok : cmd.value("accessTokens", json::array())) {
    auto token = tok.is_string() ? tok.get<std::string>() : "";
    auto [check, key] = world_.tokens.resolve(token, now);
    const auto* client = world_.tokens.client_of(key);
    const auto* t = world_.find_tenant(key);
    if (check != token_check::ok || !client || !t || t->provider != "fortnox"
        || client->client_secret != secret) {
      invalid.push_back(token);
      continue;
    }
    tenants_.insert(t->tenant_id);
    ids[token] = t->tenant_id;
  }
  return {{"response", "add-tenants-v1"},
          {"result", "ok"},
          {"tenantIds", ids},
          {"invalidTokens", invalid}};
}

json ws_session::add_topics(const json& cmd) {
  auto invalid = json::array();
  for (const auto& t : cmd.value("topics", json::array())) {
    auto topic = t.is_object() ? t.value("topic", "") : "";
    if (!event_log::known_topic(topic)) {
      invalid.push_back(topic);
      continue;
    }
    std::optional<uint64_t> after;
    if (t.contains("offset") && t["offset"].is_string()) {
      after = event_log::decode_offset(t["offset"].get<std::string>());
      if (!after) {
        invalid.push_back(topic);
        continue;
      }
    }
    topics_[topic] = after;
  }
  return {{"response", "add-topics-v1"},
          {"result", "ok"},
          {"invalidTopics", invalid}};
}

void ws_session::replay() {
  // Everything after the given offset first (the event at the offset was
  // seen already); afterwards only live events.
  for (auto& [topic, after] : topics_) {
    if (!after)
      continue;
    for (const auto* ev : world_.events.after(topic, *after))
      if (tenants_.count(ev->tenant_id) > 0)
        send(ev->to_json().dump());
    after.reset();
  }
}

void ws_session::deliver(const topic_event& ev) {
  if (subscribed_ && !closed_ && tenants_.count(ev.tenant_id) > 0
      && topics_.count(ev.topic) > 0)
    send(ev.to_json().dump());
}

void ws_session::drop() {
  closed_ = true;
  beast::error_code ec;
  beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both,
                                                 ec);
  beast::get_lowest_layer(ws_).socket().close(ec);
}

void ws_session::send(std::string text) {
  if (closed_)
    return;
  outbox_.push_back(std::move(text));
  if (outbox_.size() == 1)
    do_write();
}

void ws_session::do_write() {
  ws_.text(true);
  ws_.async_write(
    asio::buffer(outbox_.front()),
    [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) {
        self->closed_ = true;
        self->outbox_.clear();
        return;
      }
      self->outbox_.pop_front();
      if (!self->outbox_.empty())
        self->do_write();
    });
}

} // namespace ledgerd::sim
