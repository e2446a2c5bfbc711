// A small stand-in for the Fortnox Topics API on loopback, for tests: Beast
// WebSocket server on its own io thread. It answers add-tenants-v1 (tokens it
// knows get their tenant id, others are invalid), add-topics-v1 and
// subscribe-v1, keeps a log of published events per topic like Kafka does
// (subscribing replays the events after the given offset, or the whole log
// without one), can send raw text (duplicates), drop the connection, or go
// silent (stop reading, so pings stay unanswered). It records every command
// it receives.
#pragma once

#include "adapters/http/asio.hpp"
// After asio.hpp (it orders <utility>):
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ledgerd::test {

class fake_topics_server {
public:
  struct published {
    std::string topic;
    std::string offset;
    std::string text;
  };

  /// Tokens the server accepts: token -> Fortnox tenant id.
  explicit fake_topics_server(std::map<std::string, int64_t> tenants,
                              std::string client_secret = "secret")
    : tenants_(std::move(tenants))
    , secret_(std::move(client_secret)) {
    using namespace ledgerd::http;
    tcp::endpoint ep{asio::ip::make_address("127.0.0.1"), 0};
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept();
    thread_ = std::thread{[this] {
      ioc_.run();
    }};
  }

  ~fake_topics_server() {
    ioc_.stop();
    thread_.join();
    current_.reset();
  }

  std::string url() const {
    return "ws://127.0.0.1:" + std::to_string(port_) + "/fortnox/topics-v1";
  }

  /// Appends an event to the topic's log and sends it when subscribed.
  void publish(const std::string& topic, const std::string& offset,
               int64_t tenant, const std::string& entity,
               const std::string& type = "invoice-updated-v1") {
    nlohmann::json ev{
      {"topic", topic},     {"offset", offset},
      {"type", type},       {"tenantId", tenant},
      {"entityId", entity}, {"timestamp", "2024-05-01T10:00:00.000+02:00"}};
    http::asio::post(ioc_, [this, p = published{topic, offset, ev.dump()}] {
      log_.push_back(p);
      if (current_ && current_->subscribed && current_->follows(p.topic))
        current_->write(p.text);
    });
  }

  /// Sends the logged event (topic, offset) again: a duplicate.
  void redeliver(const std::string& topic, const std::string& offset) {
    http::asio::post(ioc_, [this, topic, offset] {
      for (const auto& p : log_)
        if (p.topic == topic && p.offset == offset && current_)
          current_->write(p.text);
    });
  }

  /// Sends raw text on the current connection.
  void send_raw(std::string text) {
    http::asio::post(ioc_, [this, text = std::move(text)] {
      if (current_)
        current_->write(text);
    });
  }

  /// Drops the current connection without a close frame.
  void drop() {
    http::asio::post(ioc_, [this] {
      if (current_)
        current_->kill();
      current_.reset();
    });
  }

  /// Stops reading (pings go unanswered) on the connections that follow.
  void go_silent() {
    silent_ = true;
  }

  /// Answer to subscribe-v1 ("ok" by default).
  void set_subscribe_result(std::string result) {
    std::lock_guard guard{mtx_};
    subscribe_result_ = std::move(result);
  }

  /// Leaves command `name` unanswered (empty: answer all).
  void ignore_command(std::string name) {
    std::lock_guard guard{mtx_};
    ignored_ = std::move(name);
  }

  /// Every command received, in order.
  std::vector<nlohmann::json> commands() const {
    std::lock_guard guard{mtx_};
    return commands_;
  }

  /// The received add-topics-v1 commands' topics: topic -> offset ("" when
  /// none), one map per command.
  std::vector<std::map<std::string, std::string>> topic_requests() const {
    std::vector<std::map<std::string, std::string>> out;
    for (const auto& cmd : commands()) {
      if (cmd.value("command", "") != "add-topics-v1")
        continue;
      std::map<std::string, std::string> m;
      for (const auto& t : cmd["topics"])
        m[t.value("topic", "")] = t.value("offset", "");
      out.push_back(std::move(m));
    }
    return out;
  }

  /// Number of successful subscribe-v1 commands.
  int subscriptions() const {
    return subscriptions_;
  }

  /// Number of accepted WebSocket connections.
  int connections() const {
    return connections_;
  }

private:
  struct conn : std::enable_shared_from_this<conn> {
    conn(fake_topics_server& s, http::tcp::socket sock)
      : srv(s)
      , ws(std::move(sock)) {}

    void start() {
      ws.async_accept([self = shared_from_this()](boost::beast::error_code ec) {
        if (ec)
          return;
        ++self->srv.connections_;
        if (!self->srv.silent_)
          self->read();
      });
    }

    void read() {
      ws.async_read(buf, [self = shared_from_this()](
                           boost::beast::error_code ec, std::size_t) {
        if (ec)
          return;
        auto text = boost::beast::buffers_to_string(self->buf.data());
        self->buf.consume(self->buf.size());
        self->srv.on_command(*self, text);
        self->read();
      });
    }

    void write(std::string text) {
      out.push_back(std::move(text));
      if (out.size() == 1)
        write_next();
    }

    void write_next() {
      ws.text(true);
      ws.async_write(
        http::asio::buffer(out.front()),
        [self = shared_from_this()](boost::beast::error_code ec, std::size_t) {
          if (ec)
            return;
          self->out.pop_front();
          if (!self->out.empty())
            self->write_next();
        });
    }

    void kill() {
      boost::beast::error_code ignored;
      boost::beast::get_lowest_layer(ws).socket().close(ignored);
    }

    bool follows(const std::string& topic) const {
      return topics.count(topic) > 0;
    }

    fake_topics_server& srv;
    boost::beast::websocket::stream<boost::beast::tcp_stream> ws;
    boost::beast::flat_buffer buf;
    std::deque<std::string> out;
    std::map<std::string, std::string> topics;
    bool subscribed = false;
  };

  void accept() {
    acceptor_.async_accept(
      [this](boost::beast::error_code ec, http::tcp::socket sock) {
        if (ec)
          return;
        if (current_)
          current_->kill();
        current_ = std::make_shared<conn>(*this, std::move(sock));
        current_->start();
        accept();
      });
  }

  void on_command(conn& c, const std::string& text) {
    auto cmd = nlohmann::json::parse(text, nullptr, false);
    {
      std::lock_guard guard{mtx_};
      commands_.push_back(cmd);
    }
    auto name = cmd.is_object() ? cmd.value("command", "") : "";
    {
      std::lock_guard guard{mtx_};
      if (name == ignored_)
        return;
    }
    nlohmann::json res{{"response", name}, {"result", "ok"}};
    if (name == "add-tenants-v1") {
      if (cmd.value("clientSecret", "") != secret_) {
        res["result"] = "error";
        res["message"] = "invalid client secret";
      }
      auto ids = nlohmann::json::object();
      auto invalid = nlohmann::json::array();
      for (const auto& tok : cmd["accessTokens"]) {
        auto i = tenants_.find(tok.get<std::string>());
        if (i == tenants_.end())
          invalid.push_back(tok);
        else
          ids[i->first] = i->second;
      }
      res["tenantIds"] = ids;
      res["invalidTokens"] = invalid;
    } else if (name == "add-topics-v1") {
      auto invalid = nlohmann::json::array();
      for (const auto& t : cmd["topics"]) {
        auto topic = t.value("topic", "");
        if (topic != "invoices" && topic != "customers")
          invalid.push_back(topic);
        else
          c.topics[topic] = t.value("offset", "");
      }
      res["invalidTopics"] = invalid;
    } else if (name == "subscribe-v1") {
      std::lock_guard guard{mtx_};
      res["result"] = subscribe_result_;
    } else {
      res = {{"error", "unknown command"}};
    }
    c.write(res.dump());
    if (name == "subscribe-v1" && res["result"] == "ok") {
      c.subscribed = true;
      ++subscriptions_;
      replay(c);
    }
  }

  /// Sends the log's events after each followed topic's offset (all of
  /// them without one or when the offset is unknown).
  void replay(conn& c) {
    for (const auto& [topic, offset] : c.topics) {
      bool after = offset.empty()
                   || std::none_of(log_.begin(), log_.end(), [&](auto& p) {
                        return p.topic == topic && p.offset == offset;
                      });
      for (const auto& p : log_) {
        if (p.topic != topic)
          continue;
        if (after)
          c.write(p.text);
        else if (p.offset == offset)
          after = true;
      }
    }
  }

  std::map<std::string, int64_t> tenants_;
  std::string secret_;
  http::asio::io_context ioc_{1};
  http::tcp::acceptor acceptor_{ioc_};
  std::thread thread_;
  uint16_t port_ = 0;
  // Io thread only.
  std::shared_ptr<conn> current_;
  std::vector<published> log_;
  // Shared with the test thread.
  mutable std::mutex mtx_;
  std::vector<nlohmann::json> commands_;
  std::string subscribe_result_ = "ok";
  std::string ignored_;
  std::atomic<int> subscriptions_{0};
  std::atomic<int> connections_{0};
  std::atomic<bool> silent_{false};
};

} // namespace ledgerd::test
