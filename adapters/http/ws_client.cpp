#include "adapters/http/ws_client.hpp"

#include "adapters/http/asio.hpp"
// WebSocket and TLS parts of Boost, after asio.hpp (it orders <utility>):
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <deque>
#include <future>
#include <optional>
#include <thread>

namespace ledgerd::http {

namespace {

namespace ssl = boost::asio::ssl;
namespace websocket = boost::beast::websocket;

using plain_ws = websocket::stream<beast::tcp_stream>;
using tls_ws = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

struct handlers {
  ws_client::open_handler on_open;
  ws_client::text_handler on_text;
  ws_client::closed_handler on_closed;
};

std::string describe(beast::error_code ec) {
  if (ec == beast::error::timeout)
    return "timeout";
  return ec.message();
}

class session_base : public std::enable_shared_from_this<session_base> {
public:
  virtual ~session_base() = default;
  virtual void start() = 0;
  virtual void send(std::string text) = 0;
  /// Graceful close; `reason` goes to on_closed.
  virtual void close(std::string reason) = 0;
};

/// One connection attempt and, if it succeeds, the connection. Lives on the
/// io thread only.
template<class Stream>
class session final : public session_base {
public:
  static constexpr bool is_tls = std::is_same_v<Stream, tls_ws>;

  session(asio::io_context& ioc, ssl::context& tls, const ws_options& opts,
          ws_url url, handlers hs)
    : opts_(opts)
    , url_(std::move(url))
    , hs_(std::move(hs))
    , resolver_(ioc)
    , deadline_(ioc)
    , ws_(make_stream(ioc, tls)) {}

  void start() override {
    arm_deadline();
    resolver_.async_resolve(
      url_.host, url_.port,
      [self = shared()](beast::error_code ec, tcp::resolver::results_type rs) {
        self->on_resolve(ec, std::move(rs));
      });
  }

  void send(std::string text) override {
    if (done_ || closing_)
      return;
    queue_.push_back(std::move(text));
    if (open_ && !writing_)
      write_next();
  }

  void close(std::string reason) override {
    if (done_ || closing_)
      return;
    closing_ = true;
    close_reason_ = std::move(reason);
    if (!open_)
      return finish(close_reason_);
    // Bounds the close handshake: a peer that never answers is cut off.
    arm_deadline();
    ws_.async_close(websocket::close_code::normal,
                    [self = shared()](beast::error_code) {
                      // The read loop ends with `closed` and finishes.
                    });
  }

private:
  static Stream make_stream(asio::io_context& ioc, ssl::context& tls) {
    if constexpr (is_tls)
      return Stream{ioc, tls};
    else
      return Stream{ioc};
  }

  std::shared_ptr<session> shared() {
    return std::static_pointer_cast<session>(shared_from_this());
  }

  void arm_deadline() {
    deadline_.expires_after(opts_.connect_timeout);
    deadline_.async_wait([self = shared()](beast::error_code ec) {
      if (!ec)
        self->finish(self->closing_ ? self->close_reason_
                                    : std::string{"connect timeout"});
    });
  }

  void on_resolve(beast::error_code ec, tcp::resolver::results_type rs) {
    if (done_)
      return;
    if (ec)
      return finish("resolve " + url_.host + ": " + describe(ec));
    beast::get_lowest_layer(ws_).async_connect(
      rs, [self = shared()](beast::error_code ec, const tcp::endpoint&) {
        self->on_connect(ec);
      });
  }

  void on_connect(beast::error_code ec) {
    if (done_)
      return;
    if (ec)
      return finish("connect " + url_.host + ":" + url_.port + ": "
                    + describe(ec));
    if constexpr (is_tls) {
      auto& tls = ws_.next_layer();
      // SNI, then verify the chain and that the certificate names the host.
      if (!SSL_set_tlsext_host_name(tls.native_handle(), url_.host.c_str()))
        return finish("TLS: cannot set the server name");
      tls.set_verify_mode(ssl::verify_peer);
      tls.set_verify_callback(ssl::host_name_verification(url_.host));
      tls.async_handshake(ssl::stream_base::client,
                          [self = shared()](beast::error_code ec) {
                            if (self->done_)
                              return;
                            if (ec)
                              return self->finish("TLS: " + describe(ec));
                            self->handshake();
                          });
    } else {
      handshake();
    }
  }

  void handshake() {
    websocket::stream_base::timeout limits;
    limits.handshake_timeout = opts_.connect_timeout;
    limits.idle_timeout = opts_.idle_timeout;
    limits.keep_alive_pings = true;
    ws_.set_option(limits);
    ws_.read_message_max(opts_.max_message_bytes);
    ws_.set_option(
      websocket::stream_base::decorator([](websocket::request_type& req) {
        req.set(bhttp::field::user_agent, "ledgerd");
      }));
    auto default_port = is_tls ? "443" : "80";
    auto host
      = url_.port == default_port ? url_.host : url_.host + ":" + url_.port;
    ws_.async_handshake(host, url_.target,
                        [self = shared()](beast::error_code ec) {
                          self->on_handshake(ec);
                        });
  }

  void on_handshake(beast::error_code ec) {
    if (done_)
      return;
    if (ec)
      return finish("WebSocket handshake: " + describe(ec));
    deadline_.cancel();
    open_ = true;
    ws_.text(true);
    if (hs_.on_open)
      hs_.on_open();
    read_next();
    if (!queue_.empty() && !writing_)
      write_next();
  }

  void read_next() {
    ws_.async_read(buffer_,
                   [self = shared()](beast::error_code ec, std::size_t) {
                     self->on_read(ec);
                   });
  }

  void on_read(beast::error_code ec) {
    if (done_)
      return;
    if (ec)
      return finish(read_error(ec));
    auto text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    if (hs_.on_text && !closing_)
      hs_.on_text(std::move(text));
    read_next();
  }

  std::string read_error(beast::error_code ec) {
    if (closing_)
      return close_reason_;
    if (ec == websocket::error::closed) {
      auto why = ws_.reason();
      return "closed by peer (" + std::to_string(why.code)
             + (why.reason.empty()
                  ? ""
                  : ": " + std::string{why.reason.data(), why.reason.size()})
             + ")";
    }
    return describe(ec);
  }

  void write_next() {
    writing_ = true;
    ws_.async_write(asio::buffer(queue_.front()),
                    [self = shared()](beast::error_code ec, std::size_t) {
                      self->on_write(ec);
                    });
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    if (done_)
      return;
    if (ec)
      return finish("write: " + describe(ec));
    queue_.pop_front();
    if (!queue_.empty() && !closing_)
      write_next();
  }

  /// Ends the session once: closes the socket, reports the reason.
  void finish(std::string reason) {
    if (done_)
      return;
    done_ = true;
    deadline_.cancel();
    resolver_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    queue_.clear();
    if (auto fn = std::move(hs_.on_closed))
      fn(std::move(reason));
    hs_ = {};
  }

  const ws_options& opts_;
  ws_url url_;
  handlers hs_;
  tcp::resolver resolver_;
  asio::steady_timer deadline_;
  Stream ws_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  std::string close_reason_;
  bool open_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool done_ = false;
};

} // namespace

std::optional<ws_url> parse_ws_url(std::string_view url) {
  ws_url out;
  if (url.starts_with("wss://")) {
    out.tls = true;
    url.remove_prefix(6);
  } else if (url.starts_with("ws://")) {
    url.remove_prefix(5);
  } else {
    return std::nullopt;
  }
  auto slash = url.find_first_of("/?");
  auto authority = url.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : url.substr(slash);
  if (out.target.front() == '?')
    out.target.insert(0, "/");
  std::string_view port;
  if (authority.starts_with('[')) {
    auto end = authority.find(']');
    if (end == std::string_view::npos)
      return std::nullopt;
    out.host = authority.substr(1, end - 1);
    auto rest = authority.substr(end + 1);
    if (!rest.empty() && (rest.front() != ':' || rest.size() == 1))
      return std::nullopt;
    port = rest.empty() ? rest : rest.substr(1);
  } else {
    auto colon = authority.find(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string_view::npos)
      port = authority.substr(colon + 1);
    if (colon != std::string_view::npos && port.empty())
      return std::nullopt;
  }
  if (out.host.empty()
      || port.find_first_not_of("0123456789") != std::string_view::npos
      || port.size() > 5)
    return std::nullopt;
  out.port = port.empty() ? (out.tls ? "443" : "80") : std::string{port};
  return out;
}

struct ws_client::impl {
  explicit impl(ws_options o)
    : opts(std::move(o)) {}

  // Built on the io thread: OpenSSL keeps per-thread state (its DRBGs) for the
  // thread that creates a context, and only a joined thread is sure to have
  // released it before exit-time cleanup.
  void make_tls() {
    tls.emplace(ssl::context::tls_client);
    tls->set_verify_mode(ssl::verify_peer);
    if (opts.ca_file.empty())
      tls->set_default_verify_paths();
    else
      tls->load_verify_file(opts.ca_file);
  }

  ws_options opts;
  std::optional<ssl::context> tls;
  // After opts and tls (sessions refer to both), before the session.
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{
    ioc.get_executor()};
  // Io thread only.
  std::shared_ptr<session_base> current;
  std::thread thread;
};

ws_client::ws_client(ws_options opts)
  : impl_(std::make_unique<impl>(std::move(opts))) {
  std::promise<void> ready;
  impl_->thread = std::thread{[this, &ready] {
    try {
      impl_->make_tls();
    } catch (...) {
      ready.set_exception(std::current_exception());
      return;
    }
    ready.set_value();
    impl_->ioc.run();
  }};
  try {
    ready.get_future().get();
  } catch (...) {
    impl_->thread.join();
    throw;
  }
}

ws_client::~ws_client() {
  impl_->ioc.stop();
  impl_->thread.join();
  // Sessions close their sockets as the io_context destroys its handlers;
  // the current one goes first, while the io_context still exists.
  impl_->current.reset();
}

void ws_client::connect(std::string url, open_handler on_open,
                        text_handler on_text, closed_handler on_closed) {
  handlers hs{std::move(on_open), std::move(on_text), std::move(on_closed)};
  asio::post(impl_->ioc, [this, url = std::move(url), hs = std::move(hs)] {
    auto& st = *impl_;
    if (st.current)
      st.current->close("replaced");
    auto parsed = parse_ws_url(url);
    if (!parsed) {
      st.current.reset();
      if (hs.on_closed)
        hs.on_closed("invalid WebSocket URL: " + url);
      return;
    }
    if (parsed->tls)
      st.current = std::make_shared<session<tls_ws>>(st.ioc, *st.tls, st.opts,
                                                     std::move(*parsed), hs);
    else
      st.current = std::make_shared<session<plain_ws>>(st.ioc, *st.tls, st.opts,
                                                       std::move(*parsed), hs);
    st.current->start();
  });
}

void ws_client::send_text(std::string text) {
  asio::post(impl_->ioc, [this, text = std::move(text)]() mutable {
    if (impl_->current)
      impl_->current->send(std::move(text));
  });
}

void ws_client::close() {
  asio::post(impl_->ioc, [this] {
    if (impl_->current)
      impl_->current->close("closed by client");
  });
}

} // namespace ledgerd::http
